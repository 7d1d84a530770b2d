// The commands around `start`: status, stop, restart and logs, on the workspace's namespace only.

import { createLogPrinter, useColor } from '../report/log-printer.ts'
import { formatTable, toStatusRows } from '../report/status-table.ts'
import { WorkspaceError } from '../errors.ts'
import { agentName } from '../model/agent-spec.ts'
import { readLiveSnapshot, readSnapshot, stateFilePath } from '../agent/state-file.ts'
import { watchHealth } from '../supervise/readiness.ts'
import { stopInOrder } from '../supervise/apply.ts'
import { describeChanges } from '../report/changes.ts'
import { deploy } from './deploy.ts'
import type { Pm2Client } from '../pm2/client.ts'
import { connectLight } from '../pm2/light-client.ts'
import type { AgentJson, StatusJson } from '../types/json.ts'
import type { Selection } from '../types/config.ts'
import { type LoadedWorker, type LoadedWorkspace, loadWorkspace } from '../config/load.ts'
import { dependenciesOf, planFor } from '../plan/resolve-plan.ts'
import { departedTargets, selectTargets } from '../plan/select.ts'
import { UnitNames } from '../model/units.ts'
import { printFailures, tail } from './failures.ts'
import { pm2Rules } from '../pm2/schema.ts'
import { requireSupportedPlatform } from '../os/platform.ts'
import { daemonRunning, userPm2Home } from '../pm2/home.ts'
import { latchSignals } from '../os/signals.ts'
import type { ProcView } from '../pm2/process-view.ts'

interface Target {
  workspace: LoadedWorkspace
  workers: LoadedWorker[]
  /** Named in --workers, not in the config, but running in its namespace. */
  departed: string[]
  /** Nothing selected: the whole namespace, including processes the config no longer names. */
  everything: boolean
  home: string
}

async function resolveTarget(command: string, cwd: string | undefined, selection: Selection): Promise<Target> {
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
async function connectExisting(home: string): Promise<Pm2Client> {
  if (!daemonRunning(home))
    throw new WorkspaceError(`no PM2 daemon runs for ${home}; start the workspace with \`bun-pm start\` (or set PM2_HOME to the daemon's home)`)
  return connectLight(home)
}

/** The namespace's worker processes that the target covers (never its health agent). */
function targetProcs(procs: ProcView[], { workspace, workers, departed, everything }: Target): ProcView[] {
  return procs.filter(p => p.namespace === workspace.namespace && p.name !== agentName(workspace.namespace)
    && (everything || workers.some(w => w.name === p.name) || departed.includes(p.name)))
}

/** The namespace's health agent as `status --json` shows it. */
function agentView(procs: ProcView[], namespace: string): AgentJson {
  const proc = procs.find(p => p.namespace === namespace && p.name === agentName(namespace))
  const running = proc?.status === 'online' && proc.pid !== null
  return { name: agentName(namespace), running, pid: running ? proc!.pid : null, memoryMb: running && proc!.memory !== null ? Math.round(proc!.memory / 1024 / 1024) : null }
}

function printStatus(all: ProcView[], target: Target, json: boolean): void {
  const { namespace } = target.workspace
  const agent = agentView(all, namespace)
  const rows = toStatusRows(targetProcs(all, target), target.workers, {
    snapshot: readSnapshot(stateFilePath(target.home, namespace)),
    agentRunning: agent.running,
  })
  if (json) {
    const output: StatusJson = { namespace, pm2Home: target.home, agent, workers: rows }
    console.log(JSON.stringify(output, null, 2))
    return
  }
  console.log(formatTable(rows, ['name', 'group', 'pid', 'status', 'health', 'last ok', 'memory', 'restarts', 'uptime', 'interpreter', 'reason']))
  if (all.some(p => p.namespace === namespace))
    console.log(agent.running ? `health checks: ${agent.name} (pid ${agent.pid}, ${agent.memoryMb ?? '?'} MB)` : `health checks: ${agent.name} is not running; \`bun-pm start\` starts it again`)
}

/** `status`: the table, from a running daemon; every worker `not running` when there is none. */
export async function runStatus({ cwd, selection, json }: { cwd?: string, selection: Selection, json: boolean }): Promise<number> {
  const target = await resolveTarget('status', cwd, selection)
  if (!daemonRunning(target.home)) {
    printStatus([], target, json)
    return 0
  }
  const client = await connectLight(target.home)
  printStatus(await client.list(), target, json)
  client.disconnect()
  return 0
}

/**
 * `stop`: PM2 stops the processes, dependents before what they depend on (they stay listed as
 * stopped; `start` or `restart` runs them again). With nothing selected the health agent stops too.
 */
export async function runStop({ cwd, selection, json }: { cwd?: string, selection: Selection, json: boolean }): Promise<number> {
  const target = await resolveTarget('stop', cwd, selection)
  const client = await connectExisting(target.home)
  await stopInOrder(targetProcs(await client.list(), target), dependenciesOf(target.workspace), proc => client.stop(proc.pmId))
  if (target.everything) {
    const agent = (await client.list()).find(p => p.namespace === target.workspace.namespace && p.name === agentName(target.workspace.namespace))
    if (agent)
      await client.stop(agent.pmId)
  }
  printStatus(await client.list(), target, json)
  client.disconnect()
  return 0
}

/**
 * `restart`: each selected worker that PM2 knows (running or stopped) is started anew with the
 * current config and `.env`, in `dependsOn` order — PM2's own restart would keep the options and
 * inherited values it started with — and the command waits until they are ready again.
 */
export async function runRestart({ cwd, selection, json, timeoutMs }: { cwd?: string, selection: Selection, json: boolean, timeoutMs: number }): Promise<number> {
  const target = await resolveTarget('restart', cwd, selection)
  const { workspace, home } = target
  const client = await connectExisting(home)
  const procs = targetProcs(await client.list(), target)
  if (target.departed.length > 0)
    throw new WorkspaceError(`${workspace.configLabel}: ${target.departed.join(', ')} ${target.departed.length === 1 ? 'runs but is' : 'run but are'} no longer in the config, so there is nothing to restart ${target.departed.length === 1 ? 'it' : 'them'} with; \`bun-pm start\` removes ${target.departed.length === 1 ? 'it' : 'them'}, \`bun-pm stop --workers=${target.departed.join(',')}\` stops ${target.departed.length === 1 ? 'it' : 'them'}`)
  const notRunning = (selection.workers ?? []).filter(name => !procs.some(p => p.name === name))
  if (notRunning.length > 0)
    throw new WorkspaceError(`${workspace.configLabel}: ${notRunning.join(', ')} ${notRunning.length === 1 ? 'is' : 'are'} not on the PM2 daemon (never started, or removed); start ${notRunning.length === 1 ? 'it' : 'them'} with \`bun-pm start --workers=${notRunning.join(',')}\``)
  const plan = planFor(workspace, target.workers.filter(w => w.activated && procs.some(p => p.name === w.name)))
  const planned = plan.workers
  const health = watchHealth(await client.launchBus(), workspace.namespace, readLiveSnapshot(home, workspace.namespace))
  // Each unit is replaced by a new process started with the current config: beside the old one
  // where its ports allow, the old one kept when the new one fails (see supervise/rollout.ts).
  const { changes, failures } = await deploy({ client, health, plan, home, timeoutMs, replace: new Set(planned.map(w => w.name)) })
  const all = await client.list()
  if (!json)
    console.log(describeChanges(changes))
  printStatus(all, target, json)
  if (!json)
    printFailures(failures)
  client.disconnect()
  return failures.length > 0 ? 1 : 0
}

/** `logs`: the last `lines` lines of each selected worker from PM2's log files, then new lines as they come. */
export async function runLogs({ cwd, selection, lines }: { cwd?: string, selection: Selection, lines: number }): Promise<number> {
  const target = await resolveTarget('logs', cwd, selection)
  const client = await connectExisting(target.home)
  const procs = targetProcs(await client.list(), target)
  const names = procs.map(p => p.name)
  // Each replica under its own label (`web#1`): its lines are its own.
  const unitNames = new UnitNames()
  const units = unitNames.learnListing(procs)
  const printer = createLogPrinter({ names: units, color: useColor() })
  for (const [i, proc] of procs.entries()) {
    const out = tail(proc.outLog, lines)
    const err = tail(proc.errLog, lines)
    if (out.length)
      printer.chunk(units[i]!, 'out', `${out.join('\n')}\n`)
    if (err.length)
      printer.chunk(units[i]!, 'err', `${err.join('\n')}\n`)
  }
  const bus = await client.launchBus()
  for (const stream of ['out', 'err'] as const) {
    bus.on(`log:${stream}`, (packet) => {
      if (packet.process.namespace === target.workspace.namespace && names.includes(packet.process.name))
        printer.chunk(unitNames.of(packet.process.pm_id, packet.process.name), stream, String(packet.data ?? ''))
    })
  }
  return latchSignals().next().then(() => 0)
}
