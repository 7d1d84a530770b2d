// `start`: the selection deployed to the user's PM2 daemon (with --attach, then followed: attach.ts).

import { describeAdded } from '../report/plan.ts'
import { formatTable, toStatusRows } from '../report/status-table.ts'
import { readLiveSnapshot, readSnapshot, stateFilePath } from '../agent/state-file.ts'
import { watchHealth } from '../supervise/readiness.ts'
import type { Pm2Client } from '../pm2/client.ts'
import { connectOrSpawn, watchDaemon } from '../pm2/daemon.ts'
import { WorkspaceError } from '../errors.ts'
import { describeChanges } from '../report/changes.ts'
import { deploy } from './deploy.ts'
import { progressLine } from '../report/progress.ts'
import { runDryRun } from './dry-run.ts'
import { environOf } from '../os/processes.ts'
import type { StartJson } from '../types/json.ts'
import type { Selection } from '../types/config.ts'
import { type Plan, resolvePlan } from '../plan/resolve-plan.ts'
import { trace } from '../trace.ts'
import { printFailures } from './failures.ts'
import { pm2Rules } from '../pm2/schema.ts'
import { latchSignals, type SignalLatch } from '../os/signals.ts'
import { requireSupportedPlatform } from '../os/platform.ts'
import { daemonBoundsLogs, readDaemonPid, userPm2Home } from '../pm2/home.ts'
import { agentMustListenFirst } from '../supervise/apply-decisions.ts'
import { followWorkers } from './attach.ts'
import { bunPm } from '../invocation.ts'
import { agentAdvice } from './target.ts'
import { devSessionOf } from './source.ts'

export interface StartCommandOptions {
  cwd?: string
  selection: Selection
  /** Whose `$<env>` overrides apply (default: production). */
  env?: string
  attach: boolean
  json: boolean
  timeoutMs: number
  /** Say what would change, and why, and do nothing. */
  dryRun?: boolean
}

/**
 * `start`: hands the selection to the user's PM2 daemon (spawning it if none runs), makes the
 * workspace's namespace match the config — workers in `dependsOn` order, and the health agent
 * that keeps checking them — and returns as soon as every selected worker is ready, or says which
 * is not and why (exit 1). With `--attach` it stays in the foreground until a signal, then stops
 * them in reverse order (exit 0; exit 1 at once when a worker did not become ready).
 */
export async function runStart({ cwd, selection, env, attach, json, timeoutMs, dryRun = false }: StartCommandOptions): Promise<number> {
  requireSupportedPlatform('start')
  // Attached, a SIGTERM can come at any moment, even while the workers start: it is kept and
  // acted on once there is something to stop.
  const signals = attach ? latchSignals() : undefined
  const plan = await resolvePlan({ cwd, mode: 'start', selection, env, rules: pm2Rules() })
  trace('config loaded')
  // A dev session of the workspace holds its ports on a daemon of its own: said before a worker
  // here crash-loops on one of them.
  const dev = devSessionOf(plan.workspace.root)
  if (dev)
    console.error(`note: your \`dev\` session of ${plan.workspace.root} (pid ${dev.launcherPid}) runs this workspace's workers on a daemon of its own; a worker here that needs a port one of them holds fails ("port in use"): stop dev first (Ctrl-C in its terminal)`)
  if (dryRun)
    return runDryRun(plan, { json })
  const home = userPm2Home()
  // Read by the daemon when it starts: memory limits checked every 2 s instead of 30 s, and
  // workers stopped with SIGTERM, the signal containers and `dev` use.
  const { client, spawned: spawnedDaemon } = await connectOrSpawn(home, { PM2_WORKER_INTERVAL: '2000', PM2_KILL_SIGNAL: 'SIGTERM' })
  // A daemon that dies under start (`pm2 kill` at the same moment) ends it at once, never with a
  // table of processes that no longer run.
  // (Attached and started, the loss is --attach's to report: see `startWith`.)
  trace(spawnedDaemon ? 'daemon spawned, connected' : 'connected to the daemon')
  const daemon = watchDaemon(home)
  const phase = { attached: false }
  const daemonGone = daemon.lost.then(() => {
    if (phase.attached)
      return new Promise<never>(() => {})
    throw new WorkspaceError(`the PM2 daemon (${home}) stopped while start was running (was it killed?); run start again`)
  })
  try {
    return await Promise.race([daemonGone, startWith({ client, plan, home, spawnedDaemon, signals, json, timeoutMs, lost: daemon.lost, phase })])
  }
  finally {
    daemon.stop()
  }
}

async function startWith({ client, plan, home, spawnedDaemon, signals, json, timeoutMs, lost, phase }: {
  client: Pm2Client
  plan: Plan
  home: string
  spawnedDaemon: boolean
  signals: SignalLatch | undefined
  json: boolean
  timeoutMs: number
  lost: Promise<void>
  phase: { attached: boolean }
}): Promise<number> {
  const { workspace } = plan
  const bus = await client.launchBus()
  const health = watchHealth(bus, workspace.namespace, readLiveSnapshot(home, workspace.namespace))
  // Attached, the logs are followed from before the workers start, so no first line is missed.
  const attached = signals ? followWorkers(client, plan, home, spawnedDaemon, health, bus) : undefined
  const activated = new Set(workspace.workers.filter(w => w.activated).map(w => w.name))
  const { changes, failures, tookMs: took } = await deploy({
    client,
    health,
    plan,
    home,
    timeoutMs,
    // Workers that the agent can check from outside (http, tcp) and that PM2 keeps running need
    // no agent listening when they start: it finds them running. A push heartbeat's first
    // heartbeat(), or a one-shot job's exit, would be lost on it.
    waitForAgent: agentMustListenFirst(plan.workers),
    shouldRemove: name => !activated.has(name),
    beforeDelete: attached?.expectExit,
    ...(!json && !attached && { progress: progressLine() }),
  })
  const names = plan.workers.map(w => w.name)
  const procs = (await client.list()).filter(p => p.namespace === workspace.namespace && names.includes(p.name))
  const rows = toStatusRows(procs, plan.workers, { snapshot: readSnapshot(stateFilePath(home, workspace.namespace)), agentAdvice: agentAdvice({ kind: 'start', home }) })

  if (json) {
    const output: StartJson = {
      namespace: workspace.namespace,
      pm2Home: home,
      ...changes,
      replaced: changes.replaced.map(r => r.name),
      rollouts: changes.replaced.flatMap(r => r.strategy ? [{ name: r.name, ...r.strategy }] : []),
      added: plan.added,
      readyInMs: failures.length ? null : took,
      workers: rows,
      failures,
    }
    console.log(JSON.stringify(output, null, 2))
  }
  else {
    for (const line of describeAdded(plan.added))
      console.log(line)
    console.log(`${describeChanges(changes)}; ${failures.length ? `${names.length - failures.length} of ${names.length} ready` : `ready`} in ${took} ms (PM2 home ${home}, namespace ${workspace.namespace})`)
    console.log(formatTable(rows, ['name', 'group', 'pid', 'status', 'health', 'memory', 'restarts', 'interpreter']))
    printFailures(failures)
    if (!spawnedDaemon && !daemonChecksMemoryOften(home))
      console.error('note: this PM2 daemon was started without PM2_WORKER_INTERVAL, so it checks max_memory_restart only every 30 s; a daemon that bun-pm starts checks every 2 s')
    if (!spawnedDaemon && plan.workers.some(w => w.logs) && !daemonBoundsLogs(home))
      console.error(`note: this PM2 daemon was not started by bun-pm, so the workers' log files grow without bound (options.logs applies on daemons bun-pm starts); once nothing else runs on it, \`pm2 kill\` and \`${bunPm('start')}\` again`)
  }
  if (!attached || !signals) {
    client.disconnect()
    trace('output written, exiting')
    return failures.length > 0 ? 1 : 0
  }
  phase.attached = true
  // A container whose workers cannot start should fail, so that its orchestrator sees it; one
  // whose daemon died should too, at once, rather than run on with nothing under it.
  const ended = failures.length > 0 ? 'failed start' : await Promise.race([signals.next(), lost.then(() => 'daemon lost' as const)])
  if (ended === 'daemon lost') {
    console.error(`error: the PM2 daemon (${home}) died; stopping its workers and exiting 1 so that whatever runs this restarts it`)
    attached.killOrphans()
    return 1
  }
  await attached.stop(ended)
  return failures.length > 0 ? 1 : 0
}

function daemonChecksMemoryOften(home: string): boolean {
  const pid = readDaemonPid(home)
  // Another user's daemon (unreadable) is given the benefit of the doubt.
  const environ = pid === undefined ? [] : environOf(pid)
  return environ.length === 0 || environ.some(entry => entry.startsWith('PM2_WORKER_INTERVAL='))
}
