// `restart`: the selected workers replaced, unit by unit, with the current config.

import { type ProgressLine, progressLine } from '../report/progress.ts'
import { WorkspaceError } from '../errors.ts'
import { readLiveSnapshot } from '../agent/state-file.ts'
import { watchHealth } from '../supervise/readiness.ts'
import { type Changes, describeChanges } from '../report/changes.ts'
import { deploy } from './deploy.ts'
import type { Selection } from '../types/config.ts'
import type { Failure } from '../types/json.ts'
import type { Pm2Client } from '../pm2/client.ts'
import type { Pm2Bus, ProcView } from '../pm2/process-view.ts'
import { planFor } from '../plan/resolve-plan.ts'
import { printFailures } from './failures.ts'
import { connectExisting, resolveTarget, type Target, targetProcs } from './target.ts'
import { printStatus } from './print-status.ts'
import { bunPm } from '../invocation.ts'

/** What a restart did: its changes, the workers that did not become ready, and the daemon's listing after it. */
export interface Restarted {
  changes: Changes
  failures: Failure[]
  all: ProcView[]
}

/**
 * `restart`: each selected worker that PM2 knows (running or stopped) is started anew with the
 * current config and `.env`, in `dependsOn` order — PM2's own restart would keep the options and
 * inherited values it started with — and the command waits until they are ready again.
 */
export async function runRestart({ cwd, selection, json, timeoutMs }: { cwd?: string, selection: Selection, json: boolean, timeoutMs: number }): Promise<number> {
  const target = await resolveTarget('restart', cwd, selection)
  const client = await connectExisting(target, 'restart')
  const { changes, failures, all } = await restartTarget({ target, selection, client, timeoutMs, ...(!json && { progress: progressLine() }) })
  if (!json)
    console.log(describeChanges(changes))
  printStatus(all, target, json)
  if (!json)
    printFailures(failures)
  client.disconnect()
  return failures.length > 0 ? 1 : 0
}

/**
 * The restart itself, printing nothing (`monit` shows its outcome on its own screen). The client
 * is the caller's, who disconnects it; so is `bus` when given (else one is opened on `client`).
 */
export async function restartTarget({ target, selection, client, bus, timeoutMs, progress }: { target: Target, selection: Selection, client: Pm2Client, bus?: Pm2Bus, timeoutMs: number, progress?: ProgressLine }): Promise<Restarted> {
  const { workspace, home } = target
  const procs = targetProcs(await client.list(), target)
  if (target.departed.length > 0)
    throw new WorkspaceError(`${workspace.configLabel}: ${target.departed.join(', ')} ${target.departed.length === 1 ? 'runs but is' : 'run but are'} no longer in the config, so there is nothing to restart ${target.departed.length === 1 ? 'it' : 'them'} with; \`${bunPm('start')}\` removes ${target.departed.length === 1 ? 'it' : 'them'}, \`${bunPm(`stop --workers=${target.departed.join(',')}`)}\` stops ${target.departed.length === 1 ? 'it' : 'them'}`)
  const notRunning = (selection.workers ?? []).filter(name => !procs.some(p => p.name === name))
  if (notRunning.length > 0)
    throw new WorkspaceError(`${workspace.configLabel}: ${notRunning.join(', ')} ${notRunning.length === 1 ? 'is' : 'are'} not on the PM2 daemon (never started, or removed); start ${notRunning.length === 1 ? 'it' : 'them'} with \`${bunPm(`start --workers=${notRunning.join(',')}`)}\``)
  const plan = planFor(workspace, target.workers.filter(w => w.activated && procs.some(p => p.name === w.name)))
  const planned = plan.workers
  const health = watchHealth(bus ?? await client.launchBus(), workspace.namespace, readLiveSnapshot(home, workspace.namespace))
  // Each unit is replaced by a new process started with the current config: beside the old one
  // where its ports allow, the old one kept when the new one fails (see supervise/rollout.ts).
  const { changes, failures } = await deploy({ client, health, plan, home, timeoutMs, replace: new Set(planned.map(w => w.name)), progress })
  return { changes, failures, all: await client.list() }
}
