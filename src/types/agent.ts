// What the launcher and the health agent say to each other: the spec it judges by, its word on
// each process. Types only.

import type { Health, HealthPolicy, Note, WorkerState } from './health.ts'
// The health agent's contract: what it is told (its spec), what it says on PM2's bus and keeps in
// its state file, and what a launcher may send it. Types only.

/** One version of a worker, as the agent judges it: its policy, and the base of its replicas' ports. */
export interface VersionSpec {
  policy: HealthPolicy
  /** The value of `increment_var` in this version's env (replica i gets base + i). */
  base?: string
}

/** What the agent knows of a worker: how many processes it runs, and how to judge each version of it. */
export interface WorkerSpec {
  replicas: number
  incrementVar?: string
  /** The version (plan hash) bun-pm wants now. */
  current: string
  /**
   * Every version that may run, by plan hash: the one wanted and, during and after a deploy, the
   * ones still serving. A process is judged by its own version's policy, never by a newer one:
   * a new heartbeat path must not fail the old version a failed deploy kept.
   */
  versions: Record<string, VersionSpec>
}

/** What the agent of a namespace is told, in its environment: whom to watch and how. */
export interface AgentSpec {
  namespace: string
  workers: Record<string, WorkerSpec>
  /**
   * When the launcher made it (ms since the epoch). A running agent takes a newer spec by message
   * (no restart for a deploy); restarted by PM2, it boots with the newest of the one in its
   * environment and the one its state file kept.
   */
  revision: number
}

/** What the agent knows of one process, as it says it (and writes it to its state file). */
export type ProcessHealth = WorkerState & {
  health: Health
  check: string
  /** The unit it runs: a worker's name, or `web#1`. */
  unit: string
  worker: string
  /** Its version (plan hash), and PM2's unique id of the process (a PM2 id is reused; this is not). */
  hash: string
  uniqueId: string
}

/**
 * What the agent says on PM2's bus (a `process:msg`), after every change. It names itself by pid:
 * PM2 hands a deleted process's id to the next one once its table is empty (a bare `stop`, then
 * `start`), so an id cannot tell a replaced agent from the one that replaced it.
 */
export interface AgentWord {
  'bun-pm': 'health'
  /** The agent's pid. */
  'agent': number
  /** By PM2 id: every process the agent judges, old versions beside new ones during a deploy. */
  'processes': Record<string, ProcessHealth>
  'notes': Note[]
  /** True once, when a new agent starts listening: whoever started it may start workers now. */
  'hello': boolean
  /** The revision of the spec it judges by now (a newer one sent to it is in force once this says it; the spec itself is in its state file). */
  'specRevision': number
}

/** What the launcher sends a running agent (PM2's sendDataToProcessId, topic `bun-pm`): judge by this spec from now on. */
export interface AgentOrder {
  'bun-pm': 'spec'
  'spec': AgentSpec
}

/** What the health agent knows, as it writes it after every change; `status` and `start` read it. */
export interface HealthSnapshot {
  namespace: string
  /** The agent that wrote it (for one run inside the PM2 daemon: the id PM2 lists it by, no process of its own). */
  agentPid: number
  /** Set by an agent that runs inside the PM2 daemon, while it runs: that daemon's pid, which lives as long as it may. */
  hostPid?: number
  writtenAt: number
  /** By PM2 id: every process the agent judges (two versions of a unit during a deploy). */
  processes: Record<string, ProcessHealth>
  /** The spec the agent judges by (it may be newer than the one in its environment). */
  spec?: AgentSpec
}
