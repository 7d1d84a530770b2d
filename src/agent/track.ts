// The agent's pure decisions about processes: which worker, unit and version a PM2 process is,
// which process runs a unit now, what a saved state still says, when to check next. No I/O.
import { policyOf, unitOf } from '../model/agent-spec.ts'
import { checkOf, healthOf } from '../model/lifecycle.ts'
import type { HealthPolicy, WorkerState } from '../types/health.ts'
import type { AgentSpec, ProcessHealth } from '../types/agent.ts'

/** A PM2 process as the agent knows it: one run after another of one process (a PM2 id and its unique id). */
export interface ProcessIdentity {
  pmId: number
  uniqueId: string
  worker: string
  index: number
  unit: string
  /** Its version, the plan hash in its environment ('' when it carries none). */
  hash: string
  policy: HealthPolicy
}

/** What a listing or an event says of a process: PM2 lays its env over its pm2_env, so the plan hash and the replica index are there. */
export interface ProcessFacts {
  name: string
  pmId: number
  namespace?: string
  uniqueId?: string
  instance: number
  hash?: string
}

/** Who `facts` is in `spec`'s workspace; undefined for another namespace's process, the agent, or a worker it does not watch. */
export function identify(facts: ProcessFacts, spec: AgentSpec): ProcessIdentity | undefined {
  const worker = spec.workers[facts.name]
  if (facts.namespace !== spec.namespace || !worker)
    return undefined
  const hash = facts.hash ?? ''
  return {
    pmId: facts.pmId,
    uniqueId: facts.uniqueId ?? '',
    worker: facts.name,
    index: facts.instance,
    unit: unitOf(facts.name, facts.instance, worker),
    hash,
    policy: policyOf(worker, hash, facts.instance),
  }
}

/** True when `facts` names another process than the one known under its PM2 id (PM2 reuses ids once its table empties). */
export function isAnotherProcess(known: { uniqueId: string }, facts: { uniqueId?: string }): boolean {
  return facts.uniqueId !== undefined && facts.uniqueId !== '' && known.uniqueId !== '' && facts.uniqueId !== known.uniqueId
}

/** A process's state as the agent says it. */
export function describeProcess(id: ProcessIdentity, state: WorkerState): ProcessHealth {
  return { ...state, health: healthOf(state), check: checkOf(id.policy), unit: id.unit, worker: id.worker, hash: id.hash, uniqueId: id.uniqueId }
}

/** The lifecycle state inside what the agent said of a process. */
export function savedState(saved: ProcessHealth): WorkerState {
  const { health: _h, check: _c, unit: _u, worker: _w, hash: _x, uniqueId: _i, ...state } = saved
  // A state file of an earlier bun-pm lacks the newer fields.
  return { ...state, errorAnswers: state.errorAnswers ?? 0, errorSince: state.errorSince ?? null }
}

/**
 * What a saved state (an earlier agent's state file) still says of a listed process: all of it
 * when it is the same process in the same run (same unique id and pid); else nothing.
 */
export function adoptSaved(saved: ProcessHealth | undefined, listed: { uniqueId: string, pid: number | null }): WorkerState | undefined {
  if (!saved || saved.uniqueId !== listed.uniqueId || listed.pid === null || saved.pid !== listed.pid)
    return undefined
  // What the last agent asked PM2 for is not under way any more.
  return { ...savedState(saved), pending: false }
}
