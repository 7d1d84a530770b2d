import { type AgentSpec, agentStartOptions } from '../agent/spec.ts'
import type { Mode, Selection } from '../types/config.ts'
import { requireInterpreter } from './interpreter.ts'
import { type LoadedWorker, type LoadedWorkspace, loadWorkspace } from '../config/load.ts'
import type { Dependencies } from '../model/order.ts'
import { type PlannedWorker, planWorkers, type Pm2StartOptions } from './plan-workers.ts'
import { selectWorkers } from './select.ts'

export interface Plan {
  workspace: LoadedWorkspace
  /** The selected workers, in config order, ready for PM2. */
  workers: PlannedWorker[]
  /** Workers selected because a selected one depends on them. */
  added: { name: string, neededBy: string[] }[]
  /** Each worker's `dependsOn`, for start and stop order. */
  deps: Dependencies
  /** The namespace's health agent: it watches every activated worker of the config. */
  agent: AgentPlan
}

/** Config + `.env` + flags -> the exact PM2 start options of each selected worker. Starts nothing. */
export async function resolvePlan({ cwd, mode, selection, env }: { cwd?: string, mode: Mode, selection: Selection, env?: string }): Promise<Plan> {
  const workspace = await loadWorkspace({ cwd, mode, env })
  const { workers, added } = selectWorkers(workspace, selection, mode)
  return planFor(workspace, workers, added)
}

/** The plan for `workers` of a loaded workspace: what `restart` hands PM2 for the workers it finds running. */
export function planFor(workspace: LoadedWorkspace, workers: LoadedWorker[], added: Plan['added'] = []): Plan {
  const planned = planWorkers(workspace, workers)
  return { workspace, workers: planned, added, deps: dependenciesOf(workspace), agent: planAgent(workspace, planned) }
}

export function dependenciesOf(workspace: LoadedWorkspace): Dependencies {
  return Object.fromEntries(workspace.workers.map(w => [w.name, w.dependsOn]))
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
