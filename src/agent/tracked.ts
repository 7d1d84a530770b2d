// What the agent keeps of each process it judges: its identity and lifecycle state, and the
// bookkeeping of its checks (when to probe, the last heartbeat(), ...).
import { initialState, type LifecycleEvent } from '../model/lifecycle.ts'
import { beatCounts } from './schedule.ts'
import type { WorkerMessage } from './translate.ts'
import type { WorkerState } from '../types/health.ts'
import type { ProcessIdentity } from './track.ts'

/** A process the monitor judges, with its state. */
export interface Judged {
  id: ProcessIdentity
  state: WorkerState
}

export interface Tracked extends Judged {
  nextProbeAt: number
  probing: boolean
  lastBeatAt: number | null
  /** When the last push period was judged (a missed period counts once). */
  pushJudgedAt: number | null
  deadSince: number | null
  /** Probes in a row that another process of the worker answered (a shared port). */
  siblingAnswers: number
  /** Answers since the last that counted whose server closed its end at once, on a shared port (anyone's). */
  closedAnswers: number
  /** The pid of the run whose own answer a probe has seen (its port is its own since). */
  ownAnswerPid: number | null
  /** The pid whose preload said "loaded": a second "loaded" from it is a reload in place. */
  loadedPid: number | null
  /** A startup failure the worker reported before its run was known here. */
  early?: { at: number, detail: string }
}

/** A process seen for the first time (or a PM2 id handed to another process). */
export function newTracked(id: ProcessIdentity, at: number): Tracked {
  return { id, state: initialState(at), nextProbeAt: 0, probing: false, lastBeatAt: null, pushJudgedAt: null, deadSince: null, siblingAnswers: 0, closedAnswers: 0, ownAnswerPid: null, loadedPid: null }
}

/**
 * A worker's own message, kept in its tracking: a `heartbeat()` (a passed check, when it is news),
 * the preload's "loaded" (new code in the same process: a reload in place; a failed start halts
 * before its first), a startup failure (kept for its run when PM2's online has not come yet).
 * Returns what to run the state through.
 */
export function takeMessage(t: Tracked, message: WorkerMessage, at: number): LifecycleEvent | undefined {
  const { heartbeat } = t.id.policy
  if (message?.kind === 'beat') {
    t.lastBeatAt = at
    return heartbeat.kind === 'push' && beatCounts(at, t.state, heartbeat.everyMs) ? { type: 'check', at, ok: true, detail: 'heartbeat() called' } : undefined
  }
  if (message?.kind === 'loaded') {
    const reloaded = message.pid !== null && (t.loadedPid === message.pid || t.state.halted === 'failed')
    t.loadedPid = message.pid
    return reloaded ? { type: 'reloaded', at } : undefined
  }
  if (message?.kind === 'failed') {
    if (t.state.running)
      return { type: 'failed', at, detail: message.detail }
    t.early = { at, detail: message.detail }
  }
  return undefined
}
