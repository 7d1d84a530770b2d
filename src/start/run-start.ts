import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLogPrinter, useColor } from '../cli/log-printer.ts'
import { reportEvents } from '../cli/report-events.ts'
import { formatTable, toStatusRows } from '../cli/status-table.ts'
import { connectPm2, daemonRunning, namespaceOf, type Pm2Client, readDaemonPid, userPm2Home } from '../pm2/client.ts'
import { reconcile, type ReconcileResult } from '../pm2/reconcile.ts'
import type { Selection } from '../types.ts'
import { type Plan, resolvePlan } from '../workspace/resolve-plan.ts'
import { type Failure, waitHealthy } from './wait-healthy.ts'

/** A worker must stay online this long, without a restart, to count as started (PM2's min_uptime is 1 s). */
export const STABLE_MS = 1500

export interface StartCommandOptions {
  cwd?: string
  selection: Selection
  attach: boolean
  json: boolean
  timeoutMs: number
}

/**
 * `start`: hands the selection to the user's PM2 daemon (spawning it if none runs), makes the
 * workspace's namespace match the config, and returns once every selected worker is up — or,
 * with `--attach`, stays in the foreground until a signal, then stops them (exit 0; exit 1 at
 * once when a worker did not start).
 */
export async function runStart({ cwd, selection, attach, json, timeoutMs }: StartCommandOptions): Promise<number> {
  // Attached, a SIGTERM can come at any moment, even while the workers start: it is kept and
  // acted on once there is something to stop.
  const signals = attach ? latchSignals() : undefined
  const plan = await resolvePlan({ cwd, mode: 'start', selection })
  const { workspace } = plan
  const home = userPm2Home()
  const spawnedDaemon = !daemonRunning(home)
  // Read by the daemon when it starts: memory limits checked every 2 s instead of 30 s, and
  // workers stopped with SIGTERM, the signal containers and `dev` use.
  const client = await connectPm2(home, spawnedDaemon ? { PM2_WORKER_INTERVAL: '2000', PM2_KILL_SIGNAL: 'SIGTERM' } : {})
  // Attached, the logs are followed from before the workers start, so no first line is missed.
  const attached = signals ? await followWorkers(client, plan, home, spawnedDaemon) : undefined
  const startedAt = performance.now()
  const activated = new Set(workspace.workers.filter(w => w.activated).map(w => w.name))
  const result = await reconcile(client, workspace.namespace, plan.workers.map(w => w.startOptions), { shouldRemove: name => !activated.has(name), beforeDelete: attached?.expectExit })
  const names = plan.workers.map(w => w.name)
  const failures = await waitHealthy(client, workspace.namespace, names, { timeoutMs, stableMs: STABLE_MS })
  const took = Math.round(performance.now() - startedAt)
  const procs = (await client.list()).filter(p => namespaceOf(p) === workspace.namespace && names.includes(p.name ?? ''))
  const rows = toStatusRows(procs, plan.workers)

  if (json) {
    console.log(JSON.stringify({ namespace: workspace.namespace, pm2Home: home, ...result, workers: rows, failures }, null, 2))
  }
  else {
    console.log(`${summary(result)} in ${took} ms (PM2 home ${home}, namespace ${workspace.namespace})`)
    console.log(formatTable(rows, ['name', 'group', 'pid', 'status', 'memory', 'restarts', 'interpreter']))
    printFailures(failures)
    if (!spawnedDaemon && !daemonChecksMemoryOften(home))
      console.error('note: this PM2 daemon was started without PM2_WORKER_INTERVAL, so it checks max_memory_restart only every 30 s; a daemon that bun-pm starts checks every 2 s')
  }
  if (!attached || !signals) {
    client.disconnect()
    return failures.length > 0 ? 1 : 0
  }
  // A container whose workers cannot start should fail, so that its orchestrator sees it.
  const signal = failures.length > 0 ? undefined : await signals.next()
  await attached.stop(signal ?? 'failed start')
  return failures.length > 0 ? 1 : 0
}

/** Records SIGINT, SIGTERM and SIGHUP from now on; `next` resolves with the first one. */
function latchSignals(): { next: () => Promise<NodeJS.Signals> } {
  let received: NodeJS.Signals | undefined
  let wake: ((signal: NodeJS.Signals) => void) | undefined
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      received ??= signal
      wake?.(signal)
    })
  }
  return { next: () => received ? Promise.resolve(received) : new Promise(resolve => (wake = resolve)) }
}

/**
 * `start --attach`, for containers and systemd: streams the workers' output like `dev`; `stop`
 * deletes its workers (SIGTERM, then SIGKILL after kill_timeout), and the daemon too if it
 * started it.
 */
async function followWorkers(client: Pm2Client, plan: Plan, home: string, spawnedDaemon: boolean) {
  const names = plan.workers.map(w => w.name)
  const printer = createLogPrinter({ names, color: useColor() })
  const reporter = reportEvents({ bus: await client.launchBus(), client, namespace: plan.workspace.namespace, names, printer, daemonLog: join(home, 'pm2.log') })
  reporter.setWorkers(plan.workers)
  printer.info(`attached to ${names.length} worker${names.length === 1 ? '' : 's'}; SIGTERM or Ctrl-C stops them${spawnedDaemon ? ' and the PM2 daemon' : ''}`)
  return {
    expectExit: reporter.expectExit,
    async stop(why: string) {
      printer.info(`${why}: stopping ${names.join(', ')}`)
      reporter.expectExit(names)
      const procs = (await client.list()).filter(p => namespaceOf(p) === plan.workspace.namespace && names.includes(p.name ?? ''))
      await Promise.all(procs.map(p => client.delete(p.pm_id!).catch(() => {})))
      reporter.close()
      if (spawnedDaemon)
        await client.killDaemon().catch(() => {})
      else
        client.disconnect()
    },
  }
}

export function summary(result: ReconcileResult): string {
  const parts = [
    result.started.length && `started ${result.started.join(', ')}`,
    result.replaced.length && `restarted ${result.replaced.join(', ')} (config changed or not running)`,
    result.removed.length && `removed ${result.removed.join(', ')} (no longer in the config or deactivated)`,
    result.kept.length && `unchanged ${result.kept.join(', ')}`,
  ].filter(Boolean)
  return parts.length > 0 ? `${parts.join('; ')}` : 'nothing to do'
}

export function printFailures(failures: Failure[]): void {
  for (const { name, reason, lastLines } of failures) {
    console.error(`error: worker "${name}" did not start: ${reason}`)
    for (const line of lastLines)
      console.error(`  ${name} | ${line}`)
  }
}

function daemonChecksMemoryOften(home: string): boolean {
  try {
    return readFileSync(`/proc/${readDaemonPid(home)}/environ`, 'latin1').split('\0').some(entry => entry.startsWith('PM2_WORKER_INTERVAL='))
  }
  catch {
    return true
  }
}
