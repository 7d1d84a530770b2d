// The health agent's spec: its PM2 name, the policy each process is judged by, and how a
// deploy's spec is made from the wanted versions and the running ones. Pure.
import type { AgentSpec, WorkerSpec } from '../types/agent.ts'
import type { HealthPolicy } from '../types/health.ts'
import { replicaPolicy, unitLabel } from './units.ts'

/** The variable that carries the spec. */
export const AGENT_SPEC_KEY = 'BUN_PM_AGENT'

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

/**
 * An agent that runs inside the PM2 daemon bun-pm spawned is listed by PM2 under an id above any
 * pid a kernel hands out (Linux's limit is 2^22): it has no process of its own, and runs while PM2
 * lists it online.
 */
export function isInDaemonAgentPid(pid: number): boolean {
  return pid > PID_MAX_LIMIT
}

/** Linux's largest pid (PID_MAX_LIMIT): the ids of agents inside a daemon start above it. */
export const PID_MAX_LIMIT = 2 ** 22

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
