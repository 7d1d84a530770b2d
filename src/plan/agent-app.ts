// The health agent as the PM2 app of a workspace's namespace: its script, its start options, and
// the spec it is started with (what a deploy's apply then adds the running versions to).
import { ownFile } from '../bun-pm-files.ts'
import { AGENT_SPEC_KEY, agentName } from '../model/agent-spec.ts'
import { OS_BACKEND_KEY } from '../os/backend.ts'
import type { AgentSpec } from '../types/agent.ts'
import type { LoadedWorkspace } from '../config/load.ts'
import type { Pm2StartOptions } from '../types/config.ts'
import { requireInterpreter } from './interpreter.ts'
import type { PlannedWorker } from './plan-workers.ts'

/** The agent's script; `.ts` from the sources, `.js` from a build. */
export const AGENT_SCRIPT = ownFile('agent/main')

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
    // The OS backend forced on the command (BUN_PM_OS, a testing knob) is the agent's too: PM2 hands it only what it is given.
    env: { ...env, ...forcedBackend(), [AGENT_SPEC_KEY]: JSON.stringify(spec) },
  } as Pm2StartOptions
}

function forcedBackend(): Record<string, string> {
  const forced = process.env[OS_BACKEND_KEY]
  return forced ? { [OS_BACKEND_KEY]: forced } : {}
}

/** The namespace's health agent: the spec it must judge by, and its start options for a spec (apply adds the versions still running). */
export interface AgentPlan {
  spec: AgentSpec
  startOptions: (spec: AgentSpec) => Pm2StartOptions
}

/**
 * The agent for every activated worker of the config: the selected ones by their planned version,
 * the others by their config's policy until the versions that run are known (see withRunningVersions).
 */
export function planAgent(workspace: LoadedWorkspace, planned: PlannedWorker[] = []): AgentPlan {
  const bunPath = requireInterpreter('bun', workspace.root, `${workspace.configLabel}: the health agent`)
  const byName = new Map(planned.map(w => [w.name, w]))
  const workers = Object.fromEntries(workspace.workers.filter(w => w.activated).map((w) => {
    const hash = byName.get(w.name)?.hash ?? ''
    const incrementVar = w.options.increment_var
    const base = incrementVar ? w.env[incrementVar]?.value : undefined
    return [w.name, { replicas: w.replicas, incrementVar, current: hash, versions: { [hash]: { policy: w.health, ...(base !== undefined && { base }) } } }]
  }))
  return { spec: { namespace: workspace.namespace, workers, revision: Date.now() }, startOptions: spec => agentStartOptions({ root: workspace.root, bunPath, spec }) }
}
