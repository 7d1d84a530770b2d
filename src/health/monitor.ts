import { freshLister, instanceOf, type Pm2Bus, type Pm2Client, type Pm2Packet, type ProcView } from '../pm2/client.ts'
import { unitLabel, workerOf } from '../workspace/replicas.ts'
import { isAlive } from '../os/processes.ts'
import { formatMs, heartbeatPort } from './heartbeat.ts'
import { attributeAnswer } from './attribute.ts'
import { whoAnswered } from '../os/sockets.ts'
import type { HealthPolicy } from './policy.ts'
import { probe } from './probe.ts'
import { type Effect, initialState, type LifecycleEvent, type NoteKind, step, type WorkerState } from './reducer.ts'

/** Something the monitor said about a worker, for a terminal (dev, `start --attach`). */
export interface Note {
  /** The unit: the worker's name, or `web#1` for one of its replicas. */
  name: string
  kind: NoteKind
  text: string
  /** For a restart: why, so the "restarted" line can say it. */
  reason?: string
}

export interface MonitorOptions {
  client: Pick<Pm2Client, 'list' | 'restart' | 'stop'>
  bus: Pm2Bus
  namespace: string
  /** Each unit's policy: a worker's name, or `web#0`, `web#1`, … for its replicas. */
  policies: Record<string, HealthPolicy>
  /** How many processes each worker runs, to tell its replicas apart. */
  replicas: Record<string, number>
  /** States from an earlier monitor (the state file): kept for workers still in the same process. */
  restored?: Record<string, WorkerState>
  /** Called after every change, with what was said in it. */
  onChange: (states: ReadonlyMap<string, WorkerState>, notes: Note[]) => void
}

/** While a worker has not passed its first check, it is checked this often, to be seen ready soon. */
const STARTING_PROBE_MS = 50
/** ... for its first seconds; then this often, until it passes or its grace ends. */
const STARTING_PROBE_SLOW_MS = 250
const STARTING_FAST_FOR_MS = 3000
/** How often the loop runs while a worker is starting, and otherwise. */
const FAST_TICK_MS = 25
const IDLE_TICK_MS = 250
/** PM2's list is asked this often, to catch what the bus did not say (a spawn that failed). */
const LIST_EVERY_MS = 2000
/** A run listed online with no process, and no exit event, for this long is one PM2 lost. */
const GONE_AFTER_MS = 1500

interface Tracked {
  policy: HealthPolicy
  state: WorkerState
  pmId?: number
  nextProbeAt: number
  probing: boolean
  lastBeatAt: number | null
  /** When the last push period was judged (a missed period counts once). */
  pushJudgedAt: number | null
  deadSince: number | null
  /** The pid whose preload said "loaded": a second "loaded" from it is a reload in place. */
  loadedPid: number | null
  /** A startup failure the worker reported before its run was known here. */
  early?: { failed?: { at: number, detail: string } }
}

/**
 * Runs the health checks of a namespace's workers and applies the lifecycle's decisions through
 * PM2. Everything it decides comes from `step` (pure); this only gathers events — PM2's bus, the
 * workers' messages, probes, the clock — and carries out the effects.
 */
export async function startMonitor({ client, bus, namespace, policies, replicas, restored = {}, onChange }: MonitorOptions): Promise<{ close: () => void, states: () => ReadonlyMap<string, WorkerState> }> {
  const tracked = new Map<string, Tracked>()
  const now = () => Date.now()
  for (const [name, policy] of Object.entries(policies))
    tracked.set(name, { policy, state: initialState(now()), nextProbeAt: 0, probing: false, lastBeatAt: null, pushJudgedAt: null, deadSince: null, loadedPid: null })

  const names = new Set(Object.keys(policies).map(workerOf))
  // Logs and messages name a process by pm_id only; listings and events say its instance index.
  const unitByPmId = new Map<number, string>()
  const unitOf = (name: string, pmId: number, instance: number) => {
    const unit = unitLabel(name, instance, replicas[name] ?? 1)
    unitByPmId.set(pmId, unit)
    return unit
  }

  let closed = false
  let lastListAt = now()
  let timer: ReturnType<typeof setTimeout> | undefined
  const runSoon = () => {
    if (closed)
      return
    clearTimeout(timer)
    timer = setTimeout(() => loop(), 0)
  }
  const states = () => new Map([...tracked].map(([name, t]) => [name, t.state]))
  const dispatch = (name: string, event: LifecycleEvent) => {
    const t = tracked.get(name)
    if (!t)
      return
    const { state, effects } = step(t.state, event, t.policy, name)
    const changed = state !== t.state
    t.state = state
    const notes = effects.flatMap(effect => toNotes(name, effect))
    // Said before it is done: a listener learns why a worker restarts before PM2 reports the exit.
    if (changed || notes.length > 0)
      onChange(states(), notes)
    for (const effect of effects)
      act(name, t, effect)
    if (event.type === 'online' && state.running) {
      t.nextProbeAt = 0
      // A new run is checked now, not at the next idle tick (up to 250 ms away): readiness is
      // what `start` waits for.
      runSoon()
      t.pushJudgedAt = null
      t.deadSince = null
      // What the worker said before PM2's `online` reached us belongs to this run.
      if (t.early?.failed && t.early.failed.at >= event.at)
        dispatch(name, { type: 'failed', at: t.early.failed.at, detail: t.early.failed.detail })
      else if (t.policy.heartbeat.kind === 'push' && t.lastBeatAt !== null && t.lastBeatAt >= event.at)
        dispatch(name, { type: 'check', at: t.lastBeatAt, ok: true, detail: 'heartbeat() called' })
      t.early = undefined
    }
  }
  const toNotes = (name: string, effect: Effect): Note[] => {
    if (effect.type === 'note')
      return [{ name, kind: effect.kind, text: effect.text }]
    return effect.type === 'restart' ? [{ name, kind: 'restart', text: `${name} restarting: ${effect.reason}`, reason: effect.reason }] : []
  }
  const act = (name: string, t: Tracked, effect: Effect) => {
    if (effect.type === 'note' || t.pmId === undefined)
      return
    const action = effect.type === 'restart' ? client.restart(t.pmId) : client.stop(t.pmId)
    action.catch(error => dispatch(name, { type: 'action-failed', at: now(), detail: `could not be ${effect.type === 'restart' ? 'restarted' : 'stopped'}: ${(error as Error).message}` }))
  }

  /** The listed processes that are workers this monitor tracks, each with its tracking (PM2 id noted). */
  const trackedIn = (procs: ProcView[]): [ProcView, Tracked, string][] => procs.flatMap((proc) => {
    if (proc.namespace !== namespace || !names.has(proc.name))
      return []
    const unit = unitOf(proc.name, proc.pmId, proc.instance)
    const t = tracked.get(unit)
    if (!t)
      return []
    t.pmId = proc.pmId
    return [[proc, t, unit] as [ProcView, Tracked, string]]
  })

  // What runs now: a worker still in the process the saved state describes keeps that state.
  const adopt = (procs: ProcView[]) => {
    for (const [proc, t, unit] of trackedIn(procs)) {
      const saved = restored[unit]
      // What the last agent asked PM2 for is not under way any more.
      if (saved && t.state.pid === null && saved.pid === proc.pid && proc.pid !== null) {
        t.state = { ...saved, pending: false }
        continue
      }
      if (proc.status === 'online' && proc.pid !== null && proc.pid !== t.state.pid)
        dispatch(unit, { type: 'online', pid: proc.pid, at: proc.upSince ?? now() })
      else if ((proc.status === 'errored' || proc.status === 'stopped') && saved?.halted === 'errored')
        t.state = { ...saved, running: false, pid: null, pending: false }
      // Runs that ended for good before this agent listened (start need not wait for it): PM2
      // gave up on a fast crash loop, or a one-shot job or a stop_exit_code ended it.
      else if (!saved && t.state.since === null && proc.upSince !== null && proc.status === 'errored') {
        dispatch(unit, { type: 'online', pid: 0, at: proc.upSince })
        dispatch(unit, { type: 'overlimit', at: now() })
      }
      else if (!saved && t.state.since === null && proc.upSince !== null && proc.status === 'stopped' && proc.exitCode !== null) {
        dispatch(unit, { type: 'online', pid: 0, at: proc.upSince })
        dispatch(unit, { type: 'exit', at: now(), code: proc.exitCode, manual: false, willRestart: false })
      }
    }
  }
  const ours = (packet: Pm2Packet) => packet.process.namespace === namespace && names.has(packet.process.name)
  // PM2's events in the order it sent them: an `online` waits for its pid, and the `exit` behind it must not overtake it.
  let queue = Promise.resolve()
  const listFresh = freshLister(() => client.list())
  bus.on('process:event', (packet) => {
    if (!ours(packet))
      return
    // An online event's pid is in a listing made after it; events of one burst share one.
    const listing = packet.event === 'online' ? listFresh().catch(() => []) : undefined
    // A failed event is a bug of the agent's: said in its log (bun-pm logs), and the next one still runs.
    queue = queue.then(() => onEvent(packet, listing)).catch(error => console.error('health agent: an event could not be handled:', error))
  })
  const onEvent = async (packet: Pm2Packet, listing: Promise<ProcView[]> | undefined) => {
    const { name: worker, pm_id: pmId } = packet.process
    const name = unitOf(worker, pmId, instanceOf(packet.process))
    const t = tracked.get(name)
    if (!t)
      return
    t.pmId = pmId
    // A run is known by when PM2 started it (pm_uptime), which its online and exit events both carry.
    const runAt = packet.process.pm_uptime ?? now()
    if (packet.event === 'online') {
      const proc = (await listing ?? []).find(p => p.pmId === pmId)
      // A process already gone (or already replaced) by the time it is listed is a run all the same.
      const pid = proc?.upSince === runAt ? proc.pid ?? 0 : 0
      dispatch(name, { type: 'online', pid, at: runAt })
    }
    else if (packet.event === 'exit') {
      // The exit of an older run than the one known here (its event came late) says nothing new.
      if (t.state.running && t.state.since !== null && packet.process.pm_uptime !== undefined && packet.process.pm_uptime !== t.state.since)
        return
      const status = packet.process.status
      const code = packet.process.exit_code ?? null
      dispatch(name, {
        type: 'exit',
        at: now(),
        code,
        manual: status === 'stopping',
        willRestart: status !== 'errored' && t.policy.autorestart && !t.policy.stopExitCodes.includes(code ?? 0),
      })
    }
    else if (packet.event === 'restart overlimit') {
      dispatch(name, { type: 'overlimit', at: now() })
    }
  }

  // What workers say: `heartbeat()`, and the preload's "loaded" / "failed".
  bus.on('process:msg', (packet) => {
    if (!ours(packet))
      return
    const { name: worker, pm_id: pmId } = packet.process
    const name = unitByPmId.get(pmId) ?? ((replicas[worker] ?? 1) === 1 ? worker : undefined)
    if (name === undefined) {
      // A replica not listed yet: its listing says which one it is (said a moment late, not lost).
      const at = now()
      void listFresh().then((procs) => {
        trackedIn(procs)
        if (unitByPmId.has(pmId))
          onMessage(packet, unitByPmId.get(pmId)!, at)
      }).catch(() => {})
      return
    }
    onMessage(packet, name, now())
  })
  const onMessage = (packet: Pm2Packet, name: string, at: number) => {
    const data = packet.data as { 'bun-pm'?: string, 'pid'?: number, 'detail'?: string } | undefined
    const t = tracked.get(name)
    if (!t)
      return
    switch (data?.['bun-pm']) {
      case 'beat':
        t.lastBeatAt = at
        if (t.policy.heartbeat.kind === 'push' && (!t.state.passed || t.state.failures > 0 || at - (t.state.lastOkAt ?? 0) >= Math.min(1000, t.policy.heartbeat.everyMs)))
          dispatch(name, { type: 'check', at, ok: true, detail: 'heartbeat() called' })
        break
      case 'loaded':
        // New code in the same process (a failed start halts before its first "loaded").
        if (data.pid !== undefined && (t.loadedPid === data.pid || t.state.halted === 'failed'))
          dispatch(name, { type: 'reloaded', at })
        t.loadedPid = data.pid ?? null
        break
      case 'failed': {
        const detail = String(data.detail ?? 'threw an uncaught error')
        if (t.state.running)
          dispatch(name, { type: 'failed', at, detail })
        else
          t.early = { failed: { at, detail } }
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
    for (const [name, t] of tracked)
      check(name, t, at)
    if (at - lastListAt >= LIST_EVERY_MS) {
      lastListAt = at
      void listFresh().then(findLost).catch(() => {})
    }
    const starting = [...tracked.values()].some(t => t.state.running && !t.state.passed && !t.state.halted)
    timer = setTimeout(loop, starting ? FAST_TICK_MS : IDLE_TICK_MS)
  }
  const check = (name: string, t: Tracked, at: number) => {
    const { state, policy } = t
    if (!state.running || state.halted || state.pending)
      return
    // A run whose process is gone proves nothing by its age: no tick, no probe. (Its exit event,
    // or PM2's listing when there is none, says what happened.)
    if (!(state.pid !== null && state.pid > 0 && isAlive(state.pid)))
      return
    dispatch(name, { type: 'tick', at })
    const { heartbeat } = policy
    if (heartbeat.kind === 'push') {
      const since = Math.max(t.lastBeatAt ?? 0, t.pushJudgedAt ?? 0, t.state.since ?? at)
      if (at - since >= heartbeat.everyMs) {
        t.pushJudgedAt = at
        dispatch(name, { type: 'check', at, ok: false, detail: `no heartbeat() for ${formatMs(at - Math.max(t.lastBeatAt ?? 0, t.state.since ?? at))}` })
      }
    }
    else if (heartbeat.kind !== 'none' && !t.probing && at >= t.nextProbeAt) {
      t.probing = true
      const pid = state.pid
      const port = heartbeatPort(heartbeat)!
      // Whose answer it is, read while the connection is open: only the unit's own counts.
      void probe(heartbeat, policy.timeoutMs, clientPort => whoAnswered(pid, port, clientPort, siblingPids(name))).then((result) => {
        t.probing = false
        // The answer of a process that is gone since says nothing about the new one.
        if (t.state.pid !== pid || closed)
          return
        const done = now()
        const verdict = attributeAnswer(result, name, port)
        const ranMs = done - (t.state.since ?? done)
        t.nextProbeAt = done + (verdict === undefined || !t.state.passed ? (ranMs < STARTING_FAST_FOR_MS ? STARTING_PROBE_MS : STARTING_PROBE_SLOW_MS) : policy.intervalMs)
        if (verdict)
          dispatch(name, { type: 'check', at: done, ok: verdict.ok, detail: verdict.detail })
      })
    }
  }
  /** The live processes of the other units of `unit`'s worker (its replicas): they may answer on a port they share. */
  const siblingPids = (unit: string) => [...tracked].flatMap(([other, t]) =>
    other !== unit && workerOf(other) === workerOf(unit) && t.state.running && t.state.pid !== null && t.state.pid > 0 ? [t.state.pid] : [])
  /**
   * Runs the bus did not announce with a pid: PM2 lists a worker online with no live process when
   * its respawn failed (its interpreter is gone, say), and says nothing more.
   */
  const findLost = (procs: ProcView[]) => {
    for (const [proc, t, unit] of trackedIn(procs)) {
      if (proc.status !== 'online' || t.state.halted)
        continue
      if (proc.upSince === null)
        continue
      if (proc.upSince !== t.state.since || (proc.pid !== null && proc.pid !== t.state.pid)) {
        dispatch(unit, { type: 'online', pid: proc.pid ?? 0, at: proc.upSince })
        continue
      }
      // This run, listed online with no live process, and no exit came: PM2 lost it.
      if (proc.pid === null && t.state.running && !t.state.pending) {
        t.deadSince ??= now()
        if (now() - t.deadSince >= GONE_AFTER_MS) {
          dispatch(unit, { type: 'gone', at: now(), detail: t.state.pid === 0
            ? 'PM2 could not start its process (is its interpreter or script still there?)'
            : `its process (pid ${t.state.pid}) is gone, though PM2 lists it online` })
        }
      }
    }
  }
  // What runs already, listed only now that every event from here on is heard: a worker that
  // comes up meanwhile is in the listing or in an event (both say the same run), never in neither.
  // In the event queue, so that a listing never lands after an exit it predates.
  await (queue = queue.then(async () => adopt(await client.list())))
  loop()

  return {
    close() {
      closed = true
      clearTimeout(timer)
    },
    states,
  }
}
