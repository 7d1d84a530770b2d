import type { Mode, Selection } from '../types.ts'
import { type LoadedWorkspace, loadWorkspace } from './load-workspace.ts'
import { type PlannedWorker, planWorkers } from './plan-workers.ts'
import { selectWorkers } from './select-workers.ts'

export interface Plan {
  workspace: LoadedWorkspace
  /** The selected workers, in config order, ready for PM2. */
  workers: PlannedWorker[]
}

/** Config + `.env` + flags -> the exact PM2 start options of each selected worker. Starts nothing. */
export async function resolvePlan({ cwd, mode, selection }: { cwd?: string, mode: Mode, selection: Selection }): Promise<Plan> {
  const workspace = await loadWorkspace({ cwd, mode })
  const selected = selectWorkers(workspace, selection, mode)
  return { workspace, workers: planWorkers(workspace, selected) }
}
