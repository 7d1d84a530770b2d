// The health agent's contract: what it is told (its spec, in its environment), what it says on
// PM2's bus, and how it runs as a PM2 app. Pure, but for the agent's script path.
import { ownFile } from '../bun-pm-files.ts'
import type { Pm2StartOptions } from '../plan/plan-workers.ts'
import { replicaPolicy, unitLabel } from '../model/units.ts'
import type { Note } from './monitor.ts'
import type { HealthPolicy } from '../model/policy.ts'
import type { Health, WorkerState } from '../model/lifecycle.ts'

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

/** The variable that carries the spec. */
export const AGENT_SPEC_KEY = 'BUN_PM_AGENT'

/** The agent's script; `.ts` from the sources, `.js` from a build. */
export const AGENT_SCRIPT = ownFile('agent/main')

/**
 * The agent's PM2 name. `:` is not allowed in worker names, so it never clashes with one; the
 * namespace in it keeps two workspaces' agents apart in one daemon (PM2 finds names across namespaces).
 */
export function agentName(namespace: string): string {
  return `${namespace}:health`
}

/** True for the PM2 process that is a namespace's agent rather than a worker. */
export function isAgent(name: string, namespace: string): boolean {
  return name === agentName(namespace)
}

/** True for any namespace's agent: worker names cannot hold `:`. */
export function isAgentName(name: string): boolean {
  return name.endsWith(':health')
}

/** The policy a process of `worker` (version `hash`, replica `index`) is judged by: its own version's, else the wanted one's. */
export function policyOf(spec: WorkerSpec, hash: string | undefined, index: number): HealthPolicy {
  const version = (hash !== undefined ? spec.versions[hash] : undefined) ?? spec.versions[spec.current]!
  const env: Record<string, string> = spec.incrementVar && version.base !== undefined ? { [spec.incrementVar]: version.base } : {}
  return replicaPolicy(version.policy, index, spec.incrementVar, env)
}

/** The unit of a worker's process with replica index `index`. */
export function unitOf(worker: string, index: number, spec: WorkerSpec | undefined): string {
  return unitLabel(worker, index, spec?.replicas ?? 1)
}

/**
 * The spec for `wanted` (each worker's wanted version) with the versions still running kept from
 * the spec of the agent that runs now: the agent judges old and new processes alike during a
 * deploy, each by its own version. Pure.
 */
export function withRunningVersions(wanted: AgentSpec, running: AgentSpec | undefined, hashesRunning: ReadonlyMap<string, ReadonlySet<string>>): AgentSpec {
  const workers: Record<string, WorkerSpec> = {}
  for (const [name, spec] of Object.entries(wanted.workers)) {
    const versions = { ...spec.versions }
    for (const hash of hashesRunning.get(name) ?? []) {
      const old = running?.workers[name]?.versions[hash]
      if (old && !versions[hash])
        versions[hash] = old
    }
    workers[name] = { ...spec, versions }
  }
  return { ...wanted, workers }
}

/** The newer of two specs (the state file's and the environment's, for an agent that PM2 restarted). */
export function newestSpec(a: AgentSpec | undefined, b: AgentSpec | undefined): AgentSpec | undefined {
  if (!a || !b)
    return a ?? b
  return (a.revision ?? 0) >= (b.revision ?? 0) ? a : b
}

/** True when an agent told `running` judges everything `wanted` asks for in the same way: it can stay. */
export function specCovers(running: AgentSpec | undefined, wanted: AgentSpec): boolean {
  if (!running || running.namespace !== wanted.namespace)
    return false
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)
  const names = new Set([...Object.keys(running.workers), ...Object.keys(wanted.workers)])
  return [...names].every((name) => {
    const [r, w] = [running.workers[name], wanted.workers[name]]
    if (!r || !w)
      return false
    return r.replicas === w.replicas && r.incrementVar === w.incrementVar && r.current === w.current
      && Object.entries(w.versions).every(([hash, version]) => same(r.versions[hash], version))
  })
}

/** The spec an agent process was started with, read from its environment. */
export function specOf(env: Record<string, string>): AgentSpec | undefined {
  try {
    const spec = JSON.parse(env[AGENT_SPEC_KEY] ?? '') as AgentSpec
    return spec && typeof spec.workers === 'object' ? spec : undefined
  }
  catch {
    return undefined
  }
}

/**
 * The agent as a PM2 app of the workspace's namespace: PM2 keeps it running, `pm2 ls` shows it,
 * and it goes with the workspace. Its spec covers every activated worker of the config, so that
 * starting one group after another never loses the checks of the first.
 */
export function agentStartOptions({ root, bunPath, spec, env = {} }: {
  root: string
  bunPath: string
  spec: AgentSpec
  env?: Record<string, string>
}): Pm2StartOptions {
  return {
    name: agentName(spec.namespace),
    namespace: spec.namespace,
    script: AGENT_SCRIPT,
    interpreter: bunPath,
    interpreter_args: ['--no-env-file'],
    cwd: root,
    exec_mode: 'fork',
    autorestart: true,
    max_restarts: 10,
    kill_timeout: 1000,
    kill_retry_time: 20,
    max_memory_restart: '200M',
    pmx: false,
    env: { ...env, [AGENT_SPEC_KEY]: JSON.stringify(spec) },
  } as Pm2StartOptions
}
