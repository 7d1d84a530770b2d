// The health agent's engine: gathers what happens to a namespace's processes — PM2's bus, the
// workers' messages, probes, the clock — and applies the lifecycle's decisions through PM2. Each
// PM2 process is judged on its own (two versions of a unit run side by side during a deploy), by
// its own version's policy. What it decides is pure: model/lifecycle.ts, translate.ts, track.ts,
// schedule.ts; this gathers and acts.
import { type Effect, type LifecycleEvent, step } from '../model/lifecycle.ts'
import type { Pm2Client } from '../pm2/client.ts'
import { pidFromFile } from '../pm2/pid-file.ts'
import type { AgentSpec, ProcessHealth } from '../types/agent.ts'
import type { Note } from '../types/health.ts'
import { createCheck } from './checks.ts'
import { tickEvery } from './schedule.ts'
import { identify, isAnotherProcess, type ProcessFacts } from './track.ts'
import { type Judged, newTracked, takeMessage, type Tracked } from './tracked.ts'
import { adoption, exitEvent, factsOfPacket, factsOfProc, listingEvent, readMessage, toNotes } from './translate.ts'
import { freshLister, type Pm2Bus, type Pm2Packet, type ProcView } from '../pm2/process-view.ts'
import { serial } from '../model/serial.ts'

export type { Judged }

export interface MonitorOptions {
  client: Pick<Pm2Client, 'list' | 'restart' | 'stop'>
  bus: Pm2Bus
  spec: AgentSpec
  /** What an earlier agent said of each process (its state file), by PM2 id: kept for the same process in the same run. */
  restored?: Record<string, ProcessHealth>
  /** Called after every change, with what was said in it. */
  onChange: (processes: ReadonlyMap<number, Judged>, notes: Note[]) => void
}

/** PM2's list is asked this often, to catch what the bus did not say (a spawn that failed, a deleted process). */
const LIST_EVERY_MS = 2000

export async function startMonitor({ client, bus, spec: initialSpec, restored = {}, onChange }: MonitorOptions): Promise<{ close: () => void, processes: () => ReadonlyMap<number, Judged>, setSpec: (spec: AgentSpec) => void }> {
  let spec = initialSpec
  const tracked = new Map<number, Tracked>()
  const now = () => Date.now()
  let closed = false
  let lastListAt = now()
  let timer: ReturnType<typeof setTimeout> | undefined
  const runSoon = () => {
    if (closed)
      return
    clearTimeout(timer)
    timer = setTimeout(() => loop(), 0)
  }
  const snapshot = () => new Map([...tracked].map(([pmId, t]) => [pmId, { id: t.id, state: t.state }]))

  /** The tracking of the process `facts` names: a new one for a PM2 id seen first or handed to another process. */
  const track = (facts: ProcessFacts): Tracked | undefined => {
    const known = tracked.get(facts.pmId)
    if (known && !isAnotherProcess(known.id, facts)) {
      if (!known.id.uniqueId && facts.uniqueId)
        known.id = { ...known.id, uniqueId: facts.uniqueId }
      return known
    }
    const id = identify(facts, spec)
    if (!id)
      return undefined
    const t = newTracked(id, now())
    tracked.set(facts.pmId, t)
    return t
  }

  const dispatch = (t: Tracked, event: LifecycleEvent) => {
    const { state, effects } = step(t.state, event, t.id.policy, t.id.unit)
    const changed = state !== t.state
    t.state = state
    const notes = toNotes(t.id.unit, effects)
    // Said before it is done: a listener learns why a worker restarts before PM2 reports the exit.
    if (changed || notes.length > 0)
      onChange(snapshot(), notes)
    for (const effect of effects)
      act(t, effect)
    if (event.type === 'online' && state.running) {
      t.nextProbeAt = 0
      // A new run is checked now, not at the next idle tick: readiness is what `start` waits for.
      runSoon()
      t.pushJudgedAt = null
      t.deadSince = null
      // What the worker said before PM2's `online` reached us belongs to this run.
      if (t.early && t.early.at >= event.at)
        dispatch(t, { type: 'failed', at: t.early.at, detail: t.early.detail })
      else if (t.id.policy.heartbeat.kind === 'push' && t.lastBeatAt !== null && t.lastBeatAt >= event.at)
        dispatch(t, { type: 'check', at: t.lastBeatAt, ok: true, detail: 'heartbeat() called' })
      t.early = undefined
    }
  }
  const act = (t: Tracked, effect: Effect) => {
    if (effect.type === 'note')
      return
    const action = effect.type === 'restart' ? client.restart(t.id.pmId) : client.stop(t.id.pmId)
    action.then(
      () => dispatch(t, { type: 'action-done', at: now(), action: effect.type }),
      error => dispatch(t, { type: 'action-failed', at: now(), detail: `could not be ${effect.type === 'restart' ? 'restarted' : 'stopped'}: ${(error as Error).message}` }),
    )
  }

  /** What runs now, when the agent starts: a process still in the run the saved state describes keeps that state. */
  const adopt = (procs: ProcView[]) => {
    for (const proc of procs) {
      const t = track(factsOfProc(proc))
      if (!t)
        continue
      const { state, events } = adoption(proc, restored[String(proc.pmId)], t.state, now(), !t.id.policy.autorestart)
      if (state)
        t.state = state
      for (const event of events)
        dispatch(t, event)
    }
  }

  const ours = (packet: Pm2Packet) => packet.process.namespace === spec.namespace && spec.workers[packet.process.name] !== undefined
  // PM2's events in the order it sent them: an `online` waits for its pid, and the `exit` behind it must not overtake it.
  // A failed event is a bug of the agent's: said in its log (bun-pm logs), and the next one still runs.
  const events = serial(error => console.error('health agent: an event could not be handled:', error))
  const listFresh = freshLister(() => client.list())
  bus.on('process:event', (packet) => {
    if (!ours(packet))
      return
    // An online event's pid is in the pid file PM2 wrote as it spawned the process (read at once,
    // no listing of every process); else in a listing made after it, shared by a burst's events.
    const filed = packet.event === 'online' ? pidFromFile(packet.process.pm_pid_path) : undefined
    const listing = packet.event === 'online' && filed === undefined ? listFresh().catch(() => []) : undefined
    events.push(() => onEvent(packet, listing, filed))
  })
  const onEvent = async (packet: Pm2Packet, listing: Promise<ProcView[]> | undefined, filed: number | undefined) => {
    const t = track(factsOfPacket(packet))
    if (!t)
      return
    // A run is known by when PM2 started it (pm_uptime), which its online and exit events both carry.
    const runAt = packet.process.pm_uptime ?? now()
    if (packet.event === 'online') {
      const proc = listing ? (await listing).find(p => p.pmId === t.id.pmId) : undefined
      // A process already gone (or already replaced) by the time it is listed is a run all the same.
      const pid = filed ?? (proc?.upSince === runAt ? proc.pid ?? 0 : 0)
      dispatch(t, { type: 'online', pid, at: runAt })
    }
    else if (packet.event === 'exit') {
      const event = exitEvent(packet.process, t.state, t.id.policy, now())
      if (event)
        dispatch(t, event)
    }
    else if (packet.event === 'restart overlimit') {
      dispatch(t, { type: 'overlimit', at: now() })
    }
  }

  // What workers say: `heartbeat()`, and the preload's "loaded" / "failed". Messages name only the PM2 id.
  bus.on('process:msg', (packet) => {
    if (!ours(packet))
      return
    const t = tracked.get(packet.process.pm_id)
    if (t) {
      onMessage(packet, t, now())
      return
    }
    // A process not listed yet: its listing says which one it is (said a moment late, not lost).
    const at = now()
    void listFresh().then((procs) => {
      const proc = procs.find(p => p.pmId === packet.process.pm_id)
      const late = proc && track(factsOfProc(proc))
      if (late)
        onMessage(packet, late, at)
    }).catch(() => {})
  })
  const onMessage = (packet: Pm2Packet, t: Tracked, at: number) => {
    const event = takeMessage(t, readMessage(packet.data), at)
    if (event)
      dispatch(t, event)
  }

  const check = createCheck({ dispatch, siblingPids: t => siblingPids(t), runSoon, closed: () => closed, now })
  // One chain of ticks: whoever runs the loop replaces the pending tick.
  const loop = () => {
    clearTimeout(timer)
    if (closed)
      return
    const at = now()
    for (const t of tracked.values())
      check(t, at)
    if (at - lastListAt >= LIST_EVERY_MS) {
      lastListAt = at
      void listFresh().then(reconcileListing).catch(() => {})
    }
    timer = setTimeout(loop, tickEvery([...tracked.values()].map(t => t.state)))
  }
  /** The live processes of the worker but this one (its replicas, the other version of its unit): they may answer on a port they share. */
  const siblingPids = (t: Tracked) => [...tracked.values()].flatMap(other =>
    other !== t && other.id.worker === t.id.worker && other.state.running && other.state.pid !== null && other.state.pid > 0 ? [other.state.pid] : [])
  /**
   * What the bus did not say: a process deleted (no longer listed) is forgotten; PM2 lists a
   * worker online with no live process when its respawn failed (its interpreter is gone, say),
   * and says nothing more.
   */
  const reconcileListing = (procs: ProcView[]) => {
    const listed = new Set(procs.map(p => p.pmId))
    let forgot = false
    for (const pmId of [...tracked.keys()]) {
      if (!listed.has(pmId)) {
        tracked.delete(pmId)
        forgot = true
      }
    }
    if (forgot)
      onChange(snapshot(), [])
    for (const proc of procs) {
      const t = tracked.get(proc.pmId) ?? track(factsOfProc(proc))
      if (!t)
        continue
      const { event, deadSince } = listingEvent(proc, t.state, t.deadSince, now())
      t.deadSince = deadSince
      if (event)
        dispatch(t, event)
    }
  }
  // What runs already, listed only now that every event from here on is heard: a worker that
  // comes up meanwhile is in the listing or in an event (both say the same run), never in neither.
  // In the event queue, so that a listing never lands after an exit it predates.
  await events.run(async () => adopt((await client.list()).filter(p => p.namespace === spec.namespace)))
  loop()

  return {
    close() {
      closed = true
      clearTimeout(timer)
    },
    processes: snapshot,
    /** From now on, judge by `next`: each process keeps its state, and takes its unit and policy from the new spec. */
    setSpec(next) {
      spec = next
      for (const [pmId, t] of tracked) {
        const id = identify({ name: t.id.worker, pmId, namespace: spec.namespace, uniqueId: t.id.uniqueId, instance: t.id.index, hash: t.id.hash }, spec)
        if (id)
          t.id = id
        else
          tracked.delete(pmId)
      }
      runSoon()
    },
  }
}
