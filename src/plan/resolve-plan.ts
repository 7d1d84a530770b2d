// Config, .env and flags to a plan: the selected workers with their exact PM2 options, in order,
// and the health agent that watches them. Starts nothing.

import type { Mode, Pm2Rules, Selection } from '../types/config.ts'
import { type LoadedWorker, type LoadedWorkspace, loadWorkspace } from '../config/load.ts'
import type { Dependencies } from '../model/order.ts'
import { type PlannedWorker, planWorkers } from './plan-workers.ts'
import { selectWorkers } from './select.ts'
import { type AgentPlan, planAgent } from './agent-app.ts'

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
export async function resolvePlan({ cwd, mode, selection, env, rules }: { cwd?: string, mode: Mode, selection: Selection, env?: string, rules: Pm2Rules }): Promise<Plan> {
  const workspace = await loadWorkspace({ cwd, mode, env, rules })
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
