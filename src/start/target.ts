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
import { bunPm } from '../invocation.ts'
import { describeSource, devSessionOf, findSource, type Source } from './source.ts'
import { type Listing, listOf } from './listing.ts'

export interface Target {
  workspace: LoadedWorkspace
  workers: LoadedWorker[]
  /** Named in --workers, not in the config, but running in its namespace. */
  departed: string[]
  /** Nothing selected: the whole namespace, including processes the config no longer names. */
  everything: boolean
  home: string
  /** The daemon it runs on: `start`'s, or (for `status` and `logs`) the workspace's dev session. */
  source: Source
}

/**
 * What `command` acts on. `start`'s daemon, unless `sessions` is given (`status`, `logs`): then
 * the daemon that runs the workspace, a dev session's if `start`'s does not (see chooseSource);
 * with `sessions.ifNone: 'start'`, `start`'s daemon when nothing runs it, else that is an error.
 */
export async function resolveTarget(command: string, cwd: string | undefined, selection: Selection, sessions?: { forceDev: boolean, ifNone: 'start' | 'error', listed?: Listing }): Promise<Target> {
  requireSupportedPlatform(command)
  const rules = pm2Rules()
  let workspace = await loadWorkspace({ cwd, mode: 'start', rules })
  let source: Source = { kind: 'start', home: userPm2Home() }
  if (sessions) {
    const found = await findSource(workspace, sessions.forceDev, sessions.listed)
    if ('error' in found && (sessions.forceDev || sessions.ifNone === 'error'))
      throw new WorkspaceError(found.error)
    if (!('error' in found))
      source = found
  }
  // A dev session runs the workers as `dev` loads them (its $development overrides: replicas too).
  if (source.kind === 'dev')
    workspace = await loadWorkspace({ cwd, mode: 'dev', rules })
  const { home } = source
  // What runs in the namespace, so that a worker that left the config can still be named.
  const running = selection.workers && daemonRunning(home) ? await runningNames(home, workspace.namespace, sessions?.listed) : []
  const workers = selectTargets(workspace, selection, running)
  return { workspace, workers, departed: departedTargets(workspace, selection, running), everything: !selection.workers && !selection.groups, home, source }
}

/** How the user gets the health agent of `source` back: `start` starts it, or the dev session run anew. */
export function agentAdvice(source: Source): string {
  return source.kind === 'dev' ? `Ctrl-C the dev session and \`${bunPm('dev')}\` starts it` : `\`${bunPm('start')}\` starts it`
}

/** The line that says which daemon is shown: `shop · dev session (pid 77, its own daemon)`. */
export function sourceLine(target: Target): string {
  return `${target.workspace.namespace} · ${describeSource(target.source)}`
}

async function runningNames(home: string, namespace: string, listed?: Listing): Promise<string[]> {
  return (await listOf(home, listed)).filter(p => p.namespace === namespace).map(p => p.name)
}

/**
 * Connects only to a daemon that already runs: these commands never start one. `stop` and
 * `restart` act on `start`'s daemon alone; when it does not run and a dev session does, they say
 * how that one stops.
 */
export async function connectExisting(target: Target, command: string): Promise<Pm2Client> {
  const { home, source } = target
  if (!daemonRunning(home)) {
    const dev = source.kind === 'start' ? devSessionOf(target.workspace.root) : undefined
    throw new WorkspaceError(dev
      ? `\`${command}\` acts on \`start\`'s PM2 daemon, and none runs for ${home}; your \`dev\` session of ${target.workspace.root} (pid ${dev.launcherPid}) runs the workers: it restarts a worker you edit, and Ctrl-C in its terminal stops it`
      : `no PM2 daemon runs for ${home}; start the workspace with \`${bunPm('start')}\` (or set PM2_HOME to the daemon's home)`)
  }
  return connectLight(home)
}

/** The namespace's worker processes that the target covers (never its health agent). */
export function targetProcs(procs: ProcView[], { workspace, workers, departed, everything }: Target): ProcView[] {
  return procs.filter(p => p.namespace === workspace.namespace && p.name !== agentName(workspace.namespace)
    && (everything || workers.some(w => w.name === p.name) || departed.includes(p.name)))
}
