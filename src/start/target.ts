// What the commands around `start` act on: the workspace's selected workers, the processes of its namespace that they cover, its running daemon.

import { WorkspaceError } from '../errors.ts'
import { agentName } from '../model/agent-spec.ts'
import type { Pm2Client } from '../pm2/client.ts'
import { connectLight } from '../pm2/light-client.ts'
import type { Selection } from '../types/config.ts'
import { type LoadedWorker, type LoadedWorkspace, loadWorkspace } from '../config/load.ts'
import { departedTargets, selectTargets } from '../plan/select.ts'
import { pm2Rules } from '../pm2/schema.ts'
import { requireSupportedPlatform } from '../os/platform.ts'
import { daemonRunning, userPm2Home } from '../pm2/home.ts'
import type { ProcView } from '../pm2/process-view.ts'

export interface Target {
  workspace: LoadedWorkspace
  workers: LoadedWorker[]
  /** Named in --workers, not in the config, but running in its namespace. */
  departed: string[]
  /** Nothing selected: the whole namespace, including processes the config no longer names. */
  everything: boolean
  home: string
}

export async function resolveTarget(command: string, cwd: string | undefined, selection: Selection): Promise<Target> {
  requireSupportedPlatform(command)
  const workspace = await loadWorkspace({ cwd, mode: 'start', rules: pm2Rules() })
  const home = userPm2Home()
  // What runs in the namespace, so that a worker that left the config can still be named.
  const running = selection.workers && daemonRunning(home) ? await runningNames(home, workspace.namespace) : []
  const workers = selectTargets(workspace, selection, running)
  return { workspace, workers, departed: departedTargets(workspace, selection, running), everything: !selection.workers && !selection.groups, home }
}

async function runningNames(home: string, namespace: string): Promise<string[]> {
  return (await connectLight(home).then(client => client.list())).filter(p => p.namespace === namespace).map(p => p.name)
}

/** Connects only to a daemon that already runs: these commands never start one. */
export async function connectExisting(home: string): Promise<Pm2Client> {
  if (!daemonRunning(home))
    throw new WorkspaceError(`no PM2 daemon runs for ${home}; start the workspace with \`bun-pm start\` (or set PM2_HOME to the daemon's home)`)
  return connectLight(home)
}

/** The namespace's worker processes that the target covers (never its health agent). */
export function targetProcs(procs: ProcView[], { workspace, workers, departed, everything }: Target): ProcView[] {
  return procs.filter(p => p.namespace === workspace.namespace && p.name !== agentName(workspace.namespace)
    && (everything || workers.some(w => w.name === p.name) || departed.includes(p.name)))
}
