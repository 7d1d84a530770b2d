import type { ProcessDescription } from 'pm2'
import { createLogPrinter, useColor } from '../cli/log-printer.ts'
import { formatTable, toStatusRows } from '../cli/status-table.ts'
import { WorkspaceError } from '../errors.ts'
import { connectPm2, daemonRunning, namespaceOf, type Pm2Client, userPm2Home } from '../pm2/client.ts'
import type { Selection } from '../types.ts'
import { type LoadedWorker, type LoadedWorkspace, loadWorkspace } from '../workspace/load-workspace.ts'
import { planWorkers } from '../workspace/plan-workers.ts'
import { selectTargets } from '../workspace/select-workers.ts'
import { reconcile } from '../pm2/reconcile.ts'
import { printFailures, STABLE_MS } from './run-start.ts'
import { tail, waitHealthy } from './wait-healthy.ts'

interface Target {
  workspace: LoadedWorkspace
  workers: LoadedWorker[]
  /** Nothing selected: the whole namespace, including processes the config no longer names. */
  everything: boolean
  home: string
}

async function resolveTarget(cwd: string | undefined, selection: Selection): Promise<Target> {
  const workspace = await loadWorkspace({ cwd, mode: 'start' })
  const workers = selectTargets(workspace, selection)
  return { workspace, workers, everything: !selection.workers && !selection.groups, home: userPm2Home() }
}

/** Connects only to a daemon that already runs: these commands never start one. */
async function connectExisting(home: string): Promise<Pm2Client> {
  if (!daemonRunning(home))
    throw new WorkspaceError(`no PM2 daemon runs for ${home}; start the workspace with \`bun start\` (or set PM2_HOME to the daemon's home)`)
  return connectPm2(home)
}

/** The namespace's processes that the target covers. */
function targetProcs(procs: ProcessDescription[], { workspace, workers, everything }: Target): ProcessDescription[] {
  return procs.filter(p => namespaceOf(p) === workspace.namespace
    && (everything || workers.some(w => w.name === p.name)))
}

function printStatus(procs: ProcessDescription[], target: Target, json: boolean): void {
  const rows = toStatusRows(procs, target.workers)
  console.log(json
    ? JSON.stringify({ namespace: target.workspace.namespace, pm2Home: target.home, workers: rows }, null, 2)
    : formatTable(rows, ['name', 'group', 'pid', 'status', 'health', 'memory', 'restarts', 'uptime', 'interpreter']))
}

/** `status`: the table, from a running daemon; every worker `not running` when there is none. */
export async function runStatus({ cwd, selection, json }: { cwd?: string, selection: Selection, json: boolean }): Promise<number> {
  const target = await resolveTarget(cwd, selection)
  if (!daemonRunning(target.home)) {
    printStatus([], target, json)
    return 0
  }
  const client = await connectPm2(target.home)
  printStatus(targetProcs(await client.list(), target), target, json)
  client.disconnect()
  return 0
}

/** `stop`: PM2 stops the processes (they stay listed as stopped; `start` or `restart` runs them again). */
export async function runStop({ cwd, selection, json }: { cwd?: string, selection: Selection, json: boolean }): Promise<number> {
  const target = await resolveTarget(cwd, selection)
  const client = await connectExisting(target.home)
  await Promise.all(targetProcs(await client.list(), target).map(p => client.stop(p.pm_id!)))
  printStatus(targetProcs(await client.list(), target), target, json)
  client.disconnect()
  return 0
}

/**
 * `restart`: each selected worker that PM2 knows (running or stopped) is started anew with the
 * current config and `.env` — PM2's own restart would keep the options and inherited values it
 * started with.
 */
export async function runRestart({ cwd, selection, json, timeoutMs }: { cwd?: string, selection: Selection, json: boolean, timeoutMs: number }): Promise<number> {
  const target = await resolveTarget(cwd, selection)
  const client = await connectExisting(target.home)
  const procs = targetProcs(await client.list(), target)
  const known = target.workers.filter(w => w.activated && procs.some(p => p.name === w.name))
  const planned = planWorkers(target.workspace, known)
  await reconcile(client, target.workspace.namespace, planned.map(w => w.startOptions), { replace: new Set(planned.map(w => w.name)) })
  const failures = await waitHealthy(client, target.workspace.namespace, planned.map(w => w.name), { timeoutMs, stableMs: STABLE_MS })
  printStatus(targetProcs(await client.list(), target), target, json)
  if (!json)
    printFailures(failures)
  client.disconnect()
  return failures.length > 0 ? 1 : 0
}

/** `logs`: the last `lines` lines of each selected worker from PM2's log files, then new lines as they come. */
export async function runLogs({ cwd, selection, lines }: { cwd?: string, selection: Selection, lines: number }): Promise<number> {
  const target = await resolveTarget(cwd, selection)
  const client = await connectExisting(target.home)
  const procs = targetProcs(await client.list(), target)
  const names = procs.map(p => p.name ?? '')
  const printer = createLogPrinter({ names, color: useColor() })
  for (const proc of procs) {
    const env = proc.pm2_env as { pm_out_log_path?: string, pm_err_log_path?: string }
    const out = tail(env.pm_out_log_path, lines)
    const err = tail(env.pm_err_log_path, lines)
    if (out.length)
      printer.chunk(proc.name!, 'out', `${out.join('\n')}\n`)
    if (err.length)
      printer.chunk(proc.name!, 'err', `${err.join('\n')}\n`)
  }
  const bus = await client.launchBus()
  for (const stream of ['out', 'err'] as const) {
    bus.on(`log:${stream}`, (packet) => {
      if (packet.process.namespace === target.workspace.namespace && names.includes(packet.process.name))
        printer.chunk(packet.process.name, stream, String(packet.data ?? ''))
    })
  }
  return new Promise<number>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
      process.on(signal, () => resolve(0))
  })
}
