import { ownFile } from '../own-files.ts'
import type { Pm2StartOptions } from '../workspace/plan-workers.ts'
import { unitPolicies } from '../workspace/replicas.ts'
import type { HealthPolicy } from './policy.ts'
import type { Note } from './monitor.ts'
import type { Health, WorkerState } from './reducer.ts'

/** What the agent of a namespace is told, in its environment: whom to watch and how. */
export interface AgentSpec {
  namespace: string
  /** Each unit's policy: a worker's name, or `web#0`, `web#1`, … for its replicas. */
  workers: Record<string, HealthPolicy>
  /** How many processes each worker runs (`instances`), to name each process's unit. */
  replicas: Record<string, number>
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
  'workers': Record<string, WorkerState & { health: Health, check: string }>
  'notes': Note[]
  /** True once, when a new agent starts listening: whoever started it may start workers now. */
  'hello': boolean
}

/** The variable that carries the spec. */
export const AGENT_SPEC_KEY = 'BUN_PM_AGENT'

/** The agent's script; `.ts` from the sources, `.js` from a build. */
export const AGENT_SCRIPT = ownFile('health/agent')

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
 * The agent as a PM2 app of the workspace's namespace: PM2 keeps it running, `pm2 ls` shows it,
 * and it goes with the workspace. Its spec covers every activated worker of the config, so that
 * starting one group after another never loses the checks of the first.
 */
export function agentStartOptions({ namespace, root, bunPath, workers, env = {} }: {
  namespace: string
  root: string
  bunPath: string
  workers: { name: string, replicas: number, health: HealthPolicy, incrementVar?: string, env: Record<string, string> }[]
  env?: Record<string, string>
}): Pm2StartOptions {
  const spec: AgentSpec = { namespace, workers: unitPolicies(workers), replicas: Object.fromEntries(workers.map(w => [w.name, w.replicas])) }
  return {
    name: agentName(namespace),
    namespace,
    script: AGENT_SCRIPT,
    interpreter: bunPath,
    interpreter_args: ['--no-env-file'],
    cwd: root,
    exec_mode: 'fork',
    autorestart: true,
    max_restarts: 10,
    kill_timeout: 1000,
    max_memory_restart: '200M',
    pmx: false,
    env: { ...env, [AGENT_SPEC_KEY]: JSON.stringify(spec) },
  } as Pm2StartOptions
}

/** True for any namespace's agent: worker names cannot hold `:`. */
export function isAgentName(name: string): boolean {
  return name.endsWith(':health')
}
