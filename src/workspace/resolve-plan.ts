import { agentStartOptions } from '../health/agent-spec.ts'
import type { Mode, Selection } from '../types.ts'
import { requireInterpreter } from './interpreter.ts'
import { type LoadedWorker, type LoadedWorkspace, loadWorkspace } from './load-workspace.ts'
import type { Dependencies } from './order.ts'
import { type PlannedWorker, planWorkers, type Pm2StartOptions } from './plan-workers.ts'
import { selectWorkers } from './select-workers.ts'

export interface Plan {
  workspace: LoadedWorkspace
  /** The selected workers, in config order, ready for PM2. */
  workers: PlannedWorker[]
  /** Workers selected because a selected one depends on them. */
  added: { name: string, neededBy: string[] }[]
  /** Each worker's `dependsOn`, for start and stop order. */
  deps: Dependencies
  /** The namespace's health agent: it watches every activated worker of the config. */
  agent: Pm2StartOptions
}

/** Config + `.env` + flags -> the exact PM2 start options of each selected worker. Starts nothing. */
export async function resolvePlan({ cwd, mode, selection, env }: { cwd?: string, mode: Mode, selection: Selection, env?: string }): Promise<Plan> {
  const workspace = await loadWorkspace({ cwd, mode, env })
  const { workers, added } = selectWorkers(workspace, selection, mode)
  return planFor(workspace, workers, added)
}

/** The plan for `workers` of a loaded workspace: what `restart` hands PM2 for the workers it finds running. */
export function planFor(workspace: LoadedWorkspace, workers: LoadedWorker[], added: Plan['added'] = []): Plan {
  return { workspace, workers: planWorkers(workspace, workers), added, deps: dependenciesOf(workspace), agent: planAgent(workspace) }
}

export function dependenciesOf(workspace: LoadedWorkspace): Dependencies {
  return Object.fromEntries(workspace.workers.map(w => [w.name, w.dependsOn]))
}

export function planAgent(workspace: LoadedWorkspace): Pm2StartOptions {
  return agentStartOptions({
    namespace: workspace.namespace,
    root: workspace.root,
    bunPath: requireInterpreter('bun', workspace.root, `${workspace.configLabel}: the health agent`),
    workers: workspace.workers.filter(w => w.activated).map(w => ({
      name: w.name,
      replicas: w.replicas,
      health: w.health,
      incrementVar: w.options.increment_var,
      env: Object.fromEntries(Object.entries(w.env).map(([key, { value }]) => [key, value])),
    })),
  })
}
