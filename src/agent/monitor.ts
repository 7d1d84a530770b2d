// The health agent's engine: gathers what happens to a namespace's processes — PM2's bus, the
// workers' messages, probes, the clock — and applies the lifecycle's decisions through PM2. Each
// PM2 process is judged on its own (two versions of a unit run side by side during a deploy),
// by its own version's policy. What it decides comes from pure functions (reducer.ts, track.ts).
import { readFileSync } from 'node:fs'
import { freshLister, instanceOf, type Pm2Bus, type Pm2Client, type Pm2Packet, type ProcView } from '../pm2/client.ts'
import { whoAnswered } from '../os/sockets.ts'
import { isAlive } from '../os/processes.ts'
import { PLAN_HASH_KEY } from '../model/version.ts'
import { attributeAnswer } from './attribute.ts'
import { formatMs, heartbeatPort } from '../model/heartbeat.ts'
import { probe } from './probe.ts'
import { type Effect, initialState, type LifecycleEvent, step } from '../model/lifecycle.ts'
import { adoptSaved, beatCounts, identify, isAnotherProcess, missedBeat, nextProbeAt, type ProcessFacts, type ProcessIdentity, savedState } from './track.ts'
import type { Note, WorkerState } from '../types/health.ts'
import type { AgentSpec, ProcessHealth } from '../types/agent.ts'

/** A process the monitor judges, with its state. */
export interface Judged {
  id: ProcessIdentity
  state: WorkerState
}

export interface MonitorOptions {
  client: Pick<Pm2Client, 'list' | 'restart' | 'stop'>
  bus: Pm2Bus
  spec: AgentSpec
  /** What an earlier agent said of each process (its state file), by PM2 id: kept for the same process in the same run. */
  restored?: Record<string, ProcessHealth>
  /** Called after every change, with what was said in it. */
  onChange: (processes: ReadonlyMap<number, Judged>, notes: Note[]) => void
}

/** How often the loop runs while a worker is starting, and otherwise. */
const FAST_TICK_MS = 25
const IDLE_TICK_MS = 250
/** PM2's list is asked this often, to catch what the bus did not say (a spawn that failed, a deleted process). */
const LIST_EVERY_MS = 2000
/** A run listed online with no process, and no exit event, for this long is one PM2 lost. */
const GONE_AFTER_MS = 1500

interface Tracked extends Judged {
  nextProbeAt: number
  probing: boolean
  lastBeatAt: number | null
  /** When the last push period was judged (a missed period counts once). */
  pushJudgedAt: number | null
  deadSince: number | null
  /** Probes in a row that another process of the worker answered (a shared port). */
  siblingAnswers: number
  /** The pid of the run whose own answer a probe has seen (its port is its own since). */
  ownAnswerPid: number | null
  /** The pid whose preload said "loaded": a second "loaded" from it is a reload in place. */
  loadedPid: number | null
  /** A startup failure the worker reported before its run was known here. */
  early?: { at: number, detail: string }
}

const factsOfProc = (proc: ProcView): ProcessFacts => ({ name: proc.name, pmId: proc.pmId, namespace: proc.namespace, uniqueId: proc.uniqueId, instance: proc.instance, hash: proc.env[PLAN_HASH_KEY] })
const factsOfPacket = (packet: Pm2Packet): ProcessFacts => ({
  name: packet.process.name,
  pmId: packet.process.pm_id,
  namespace: packet.process.namespace,
  uniqueId: packet.process.unique_id,
  instance: instanceOf(packet.process),
  hash: typeof packet.process[PLAN_HASH_KEY] === 'string' ? packet.process[PLAN_HASH_KEY] as string : undefined,
})

/**
 * The pid of the process an online event announces, from the pid file PM2 writes as it spawns it
 * (pm_pid_path): 0 when that process is already gone (a run all the same), undefined when there
 * is no file to read.
 */
function pidFileOf(packet: Pm2Packet): number | undefined {
  const path = packet.process.pm_pid_path
  if (typeof path !== 'string')
    return undefined
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
    return Number.isInteger(pid) && pid > 0 ? (isAlive(pid) ? pid : 0) : undefined
  }
  catch {
    return undefined
  }
}

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
    const t: Tracked = { id, state: initialState(now()), nextProbeAt: 0, probing: false, lastBeatAt: null, pushJudgedAt: null, deadSince: null, siblingAnswers: 0, ownAnswerPid: null, loadedPid: null }
    tracked.set(facts.pmId, t)
    return t
  }

  const dispatch = (t: Tracked, event: LifecycleEvent) => {
    const { state, effects } = step(t.state, event, t.id.policy, t.id.unit)
    const changed = state !== t.state
    t.state = state
    const notes = effects.flatMap(effect => toNotes(t.id.unit, effect))
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
  const toNotes = (unit: string, effect: Effect): Note[] => {
    if (effect.type === 'note')
      return [{ name: unit, kind: effect.kind, text: effect.text }]
    return effect.type === 'restart' ? [{ name: unit, kind: 'restart', text: `${unit} restarting: ${effect.reason}`, reason: effect.reason }] : []
  }
  const act = (t: Tracked, effect: Effect) => {
    if (effect.type === 'note')
      return
    const action = effect.type === 'restart' ? client.restart(t.id.pmId) : client.stop(t.id.pmId)
    action.catch(error => dispatch(t, { type: 'action-failed', at: now(), detail: `could not be ${effect.type === 'restart' ? 'restarted' : 'stopped'}: ${(error as Error).message}` }))
  }

  /** What runs now, when the agent starts: a process still in the run the saved state describes keeps that state. */
  const adopt = (procs: ProcView[]) => {
    for (const proc of procs) {
      const t = track(factsOfProc(proc))
      if (!t)
        continue
      const saved = restored[String(proc.pmId)]
      const kept = adoptSaved(saved, proc)
      if (kept && t.state.pid === null) {
        t.state = kept
        continue
      }
      if (proc.status === 'online' && proc.pid !== null && proc.pid !== t.state.pid)
        dispatch(t, { type: 'online', pid: proc.pid, at: proc.upSince ?? now() })
      else if ((proc.status === 'errored' || proc.status === 'stopped') && saved?.uniqueId === proc.uniqueId && saved.halted === 'errored')
        t.state = { ...savedState(saved), running: false, pid: null, pending: false }
      // Runs that ended for good before this agent listened (start need not wait for it): PM2
      // gave up on a fast crash loop, or a one-shot job or a stop_exit_code ended it.
      else if (!saved && t.state.since === null && proc.upSince !== null && proc.status === 'errored') {
        dispatch(t, { type: 'online', pid: 0, at: proc.upSince })
        dispatch(t, { type: 'overlimit', at: now() })
      }
      else if (!saved && t.state.since === null && proc.upSince !== null && proc.status === 'stopped' && proc.exitCode !== null) {
        dispatch(t, { type: 'online', pid: 0, at: proc.upSince })
        dispatch(t, { type: 'exit', at: now(), code: proc.exitCode, manual: false, willRestart: false })
      }
    }
  }

  const ours = (packet: Pm2Packet) => packet.process.namespace === spec.namespace && spec.workers[packet.process.name] !== undefined
  // PM2's events in the order it sent them: an `online` waits for its pid, and the `exit` behind it must not overtake it.
  let queue = Promise.resolve()
  const listFresh = freshLister(() => client.list())
  bus.on('process:event', (packet) => {
    if (!ours(packet))
      return
    // An online event's pid is in the pid file PM2 wrote as it spawned the process (read at once,
    // no listing of every process); else in a listing made after it, shared by a burst's events.
    const pidFromFile = packet.event === 'online' ? pidFileOf(packet) : undefined
    const listing = packet.event === 'online' && pidFromFile === undefined ? listFresh().catch(() => []) : undefined
    // A failed event is a bug of the agent's: said in its log (bun-pm logs), and the next one still runs.
    queue = queue.then(() => onEvent(packet, listing, pidFromFile)).catch(error => console.error('health agent: an event could not be handled:', error))
  })
  const onEvent = async (packet: Pm2Packet, listing: Promise<ProcView[]> | undefined, pidFromFile: number | undefined) => {
    const t = track(factsOfPacket(packet))
    if (!t)
      return
    // A run is known by when PM2 started it (pm_uptime), which its online and exit events both carry.
    const runAt = packet.process.pm_uptime ?? now()
    if (packet.event === 'online') {
      const proc = listing ? (await listing).find(p => p.pmId === t.id.pmId) : undefined
      // A process already gone (or already replaced) by the time it is listed is a run all the same.
      const pid = pidFromFile ?? (proc?.upSince === runAt ? proc.pid ?? 0 : 0)
      dispatch(t, { type: 'online', pid, at: runAt })
    }
    else if (packet.event === 'exit') {
      // The exit of an older run than the one known here (its event came late) says nothing new.
      if (t.state.running && t.state.since !== null && packet.process.pm_uptime !== undefined && packet.process.pm_uptime !== t.state.since)
        return
      const status = packet.process.status
      const code = packet.process.exit_code ?? null
      dispatch(t, {
        type: 'exit',
        at: now(),
        code,
        manual: status === 'stopping',
        willRestart: status !== 'errored' && t.id.policy.autorestart && !t.id.policy.stopExitCodes.includes(code ?? 0),
      })
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
    const data = packet.data as { 'bun-pm'?: string, 'pid'?: number, 'detail'?: string } | undefined
    const { heartbeat } = t.id.policy
    switch (data?.['bun-pm']) {
      case 'beat':
        t.lastBeatAt = at
        if (heartbeat.kind === 'push' && beatCounts(at, t.state, heartbeat.everyMs))
          dispatch(t, { type: 'check', at, ok: true, detail: 'heartbeat() called' })
        break
      case 'loaded':
        // New code in the same process (a failed start halts before its first "loaded").
        if (data.pid !== undefined && (t.loadedPid === data.pid || t.state.halted === 'failed'))
          dispatch(t, { type: 'reloaded', at })
        t.loadedPid = data.pid ?? null
        break
      case 'failed': {
        const detail = String(data.detail ?? 'threw an uncaught error')
        if (t.state.running)
          dispatch(t, { type: 'failed', at, detail })
        else
          t.early = { at, detail }
        break
      }
    }
  }

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
    const starting = [...tracked.values()].some(t => t.state.running && !t.state.passed && !t.state.halted)
    timer = setTimeout(loop, starting ? FAST_TICK_MS : IDLE_TICK_MS)
  }
  const check = (t: Tracked, at: number) => {
    const { state } = t
    const { policy } = t.id
    if (!state.running || state.halted || state.pending)
      return
    // A run whose process is gone proves nothing by its age: no tick, no probe. (Its exit event,
    // or PM2's listing when there is none, says what happened.)
    if (!(state.pid !== null && state.pid > 0 && isAlive(state.pid)))
      return
    dispatch(t, { type: 'tick', at })
    const { heartbeat } = policy
    if (heartbeat.kind === 'push') {
      const missed = missedBeat(at, { lastBeatAt: t.lastBeatAt, judgedAt: t.pushJudgedAt, since: t.state.since }, heartbeat.everyMs)
      if (missed !== undefined) {
        t.pushJudgedAt = at
        dispatch(t, { type: 'check', at, ok: false, detail: `no heartbeat() for ${formatMs(missed)}` })
      }
    }
    else if (heartbeat.kind !== 'none' && !t.probing && at >= t.nextProbeAt) {
      t.probing = true
      const pid = state.pid
      const port = heartbeatPort(heartbeat)!
      // Whose answer it is, read while the connection is open: only the process's own counts.
      // Once this run has answered for itself on a port it shares with no sibling, the port is its
      // own until it exits: no need to ask again at every check.
      const siblings = siblingPids(t)
      const attribute = siblings.length > 0 || t.ownAnswerPid !== pid
      void probe(heartbeat, policy.timeoutMs, attribute ? ends => whoAnswered(pid, port, ends, siblings) : undefined).then((result) => {
        t.probing = false
        // The answer of a process that is gone since says nothing about the new one.
        if (t.state.pid !== pid || closed)
          return
        const done = now()
        const verdict = attributeAnswer(result, t.id.unit, port)
        t.siblingAnswers = verdict === undefined ? t.siblingAnswers + 1 : 0
        if (result.answer?.kind === 'ours')
          t.ownAnswerPid = pid
        t.nextProbeAt = nextProbeAt(done, t.state, policy, verdict !== undefined, t.siblingAnswers)
        if (verdict)
          dispatch(t, { type: 'check', at: done, ok: verdict.ok, detail: verdict.detail })
        else if (t.nextProbeAt <= done)
          runSoon()
      })
    }
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
      if (!t || proc.status !== 'online' || t.state.halted || proc.upSince === null)
        continue
      if (proc.upSince !== t.state.since || (proc.pid !== null && proc.pid !== t.state.pid)) {
        dispatch(t, { type: 'online', pid: proc.pid ?? 0, at: proc.upSince })
        continue
      }
      // This run, listed online with no live process, and no exit came: PM2 lost it.
      if (proc.pid === null && t.state.running && !t.state.pending) {
        t.deadSince ??= now()
        if (now() - t.deadSince >= GONE_AFTER_MS) {
          dispatch(t, { type: 'gone', at: now(), detail: t.state.pid === 0
            ? 'PM2 could not start its process (is its interpreter or script still there?)'
            : `its process (pid ${t.state.pid}) is gone, though PM2 lists it online` })
        }
      }
    }
  }
  // What runs already, listed only now that every event from here on is heard: a worker that
  // comes up meanwhile is in the listing or in an event (both say the same run), never in neither.
  // In the event queue, so that a listing never lands after an exit it predates.
  await (queue = queue.then(async () => adopt((await client.list()).filter(p => p.namespace === spec.namespace))))
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
