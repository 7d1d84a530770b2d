// What PM2's listings, events and the workers' messages mean for the lifecycle: the events to
// run a process's state through, decided from the facts alone. Pure.
import type { Effect, LifecycleEvent } from '../model/lifecycle.ts'
import { PLAN_HASH_KEY } from '../model/version.ts'
import type { ProcessHealth } from '../types/agent.ts'
import type { HealthPolicy, Note, WorkerState } from '../types/health.ts'
import { adoptSaved, type ProcessFacts, savedState } from './track.ts'
import { instanceOf, type Pm2Packet, type ProcView } from '../pm2/process-view.ts'

/** Who a listed process is. */
export function factsOfProc(proc: ProcView): ProcessFacts {
  return { name: proc.name, pmId: proc.pmId, namespace: proc.namespace, uniqueId: proc.uniqueId, instance: proc.instance, hash: proc.env[PLAN_HASH_KEY] }
}

/** Who an event's process is: PM2 lays the process's env over its pm2_env, so the plan hash and the index are there. */
export function factsOfPacket(packet: Pm2Packet): ProcessFacts {
  const hash = packet.process[PLAN_HASH_KEY]
  return {
    name: packet.process.name,
    pmId: packet.process.pm_id,
    namespace: packet.process.namespace,
    uniqueId: packet.process.unique_id,
    instance: instanceOf(packet.process),
    hash: typeof hash === 'string' ? hash : undefined,
  }
}

/**
 * What a new agent makes of a process it finds listed: the state a saved state file still holds
 * for it (the same process in the same run), else the events that bring its state up to date.
 * Runs that ended for good before this agent listened (PM2 gave up on a fast crash loop; a
 * one-shot job or a stop_exit_code ended it) are judged, not waited for.
 */
export function adoption(proc: ProcView, saved: ProcessHealth | undefined, state: WorkerState, now: number, job = false): { state?: WorkerState, events: LifecycleEvent[] } {
  const kept = adoptSaved(saved, proc)
  if (kept && state.pid === null)
    return { state: kept, events: [] }
  if (proc.status === 'online' && proc.pid !== null && proc.pid !== state.pid)
    return { events: [{ type: 'online', pid: proc.pid, at: proc.upSince ?? now }] }
  if ((proc.status === 'errored' || proc.status === 'stopped') && saved?.uniqueId === proc.uniqueId && saved.halted === 'errored')
    return { state: { ...savedState(saved), running: false, pid: null, pending: false }, events: [] }
  // A one-shot job that ended before this agent: its end is replayed, whatever an earlier agent
  // said, so that a job done is done (after a bare `stop`, which stops the agent, the next `start`).
  if (job && proc.status === 'stopped' && proc.exitCode !== null && proc.upSince !== null && state.since === null)
    return { events: [{ type: 'online', pid: 0, at: proc.upSince }, { type: 'exit', at: now, code: proc.exitCode, manual: false, willRestart: false }] }
  if (saved || state.since !== null || proc.upSince === null)
    return { events: [] }
  if (proc.status === 'errored')
    return { events: [{ type: 'online', pid: 0, at: proc.upSince }, { type: 'overlimit', at: now }] }
  if (proc.status === 'stopped' && proc.exitCode !== null)
    return { events: [{ type: 'online', pid: 0, at: proc.upSince }, { type: 'exit', at: now, code: proc.exitCode, manual: false, willRestart: false }] }
  return { events: [] }
}

/**
 * PM2's `exit` event as a lifecycle event: asked for when PM2 was stopping it; PM2 starts it
 * again unless it gave up, autorestart is off, or the code is a stop_exit_code. Undefined for the
 * exit of an older run than the one known (its event came late: it says nothing new).
 */
export function exitEvent(process: Pm2Packet['process'], state: WorkerState, policy: HealthPolicy, now: number): LifecycleEvent | undefined {
  if (state.running && state.since !== null && process.pm_uptime !== undefined && process.pm_uptime !== state.since)
    return undefined
  // A process a signal ended has no code of its own (PM2 would say 0).
  const signal = process.exit_signal ?? null
  const code = signal ? null : process.exit_code ?? null
  return {
    type: 'exit',
    at: now,
    code,
    signal,
    manual: process.status === 'stopping',
    // PM2 decides by the code it has (0 for a signal).
    willRestart: process.status !== 'errored' && policy.autorestart && !policy.stopExitCodes.includes(process.exit_code ?? 0),
  }
}

/** How long a run listed online with no live process, and no exit event, waits before it counts as lost. */
export const GONE_AFTER_MS = 1500

/**
 * What a periodic listing says the bus did not: a run PM2 started that no event announced (a new
 * `online`), or this run listed online with no live process for GONE_AFTER_MS (PM2 lost it: its
 * respawn failed). `deadSince` is when it was first seen so.
 */
export function listingEvent(proc: ProcView, state: WorkerState, deadSince: number | null, now: number): { event?: LifecycleEvent, deadSince: number | null } {
  if (proc.status !== 'online' || state.halted || proc.upSince === null)
    return { deadSince }
  if (proc.upSince !== state.since || (proc.pid !== null && proc.pid !== state.pid))
    return { event: { type: 'online', pid: proc.pid ?? 0, at: proc.upSince }, deadSince: null }
  if (proc.pid !== null || !state.running || state.pending)
    return { deadSince }
  const since = deadSince ?? now
  if (now - since < GONE_AFTER_MS)
    return { deadSince: since }
  const detail = state.pid === 0
    ? 'PM2 could not start its process (is its interpreter or script still there?)'
    : `its process (pid ${state.pid}) is gone, though PM2 lists it online`
  return { event: { type: 'gone', at: now, detail }, deadSince: since }
}

/** A worker's own message (the preload's, or `heartbeat()`), as bun-pm's protocol says it. */
export type WorkerMessage = { kind: 'beat' } | { kind: 'loaded', pid: number | null } | { kind: 'failed', detail: string } | undefined

export function readMessage(data: unknown): WorkerMessage {
  const d = data as { 'bun-pm'?: string, 'pid'?: number, 'detail'?: string } | undefined
  switch (d?.['bun-pm']) {
    case 'beat': return { kind: 'beat' }
    case 'loaded': return { kind: 'loaded', pid: d.pid ?? null }
    case 'failed': return { kind: 'failed', detail: String(d.detail ?? 'threw an uncaught error') }
    default: return undefined
  }
}

/** What the lifecycle's effects say, as notes for a terminal: its notes, and a restart's reason. */
export function toNotes(unit: string, effects: Effect[]): Note[] {
  return effects.flatMap((effect): Note[] => {
    if (effect.type === 'note')
      return [{ name: unit, kind: effect.kind, text: effect.text }]
    return effect.type === 'restart' ? [{ name: unit, kind: 'restart', text: `${unit} restarting: ${effect.reason}`, reason: effect.reason }] : []
  })
}
