import { existsSync, watch } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { createLogPrinter, useColor } from '../cli/log-printer.ts'
import { isUserError, WorkspaceError } from '../errors.ts'
import { connectPm2, type Pm2Client, waitOnline } from '../pm2/client.ts'
import { reconcile } from '../pm2/reconcile.ts'
import type { Selection } from '../types.ts'
import { ENV_FILES } from '../workspace/env.ts'
import type { Pm2StartOptions } from '../workspace/plan-workers.ts'
import { type Plan, resolvePlan } from '../workspace/resolve-plan.ts'
import { startTime } from './processes.ts'
import { reportEvents } from '../cli/report-events.ts'
import { devHome, isSameProcess, readSession, SESSION_MARKER, signalSession, spawnWatchdog, sweepSession, writeSession } from './session.ts'

const SIGNAL_CODES: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 }
/** Signals closer together than this are one Ctrl-C delivered twice. */
const DUPLICATE_SIGNAL_MS = 150
/** How long a stop waits for a config being applied to finish. */
const APPLY_WAIT_MS = 3000
/** How long `dev` waits for workers to come online before it says so. */
const ONLINE_TIMEOUT_MS = 10_000

/**
 * The foreground loop. Design, from what PM2 does under bun (see the README, "How dev works"):
 * a PM2 daemon private to this session, so that a `bun --watch` reload of the launcher keeps
 * unchanged workers running; a watchdog process that ends the session if the launcher dies; and
 * a shutdown that stops every worker with SIGTERM, then SIGKILL after its kill_timeout.
 */
export async function runDev({ cwd, selection }: { cwd?: string, selection: Selection }): Promise<number> {
  const root = resolve(cwd ?? '.')
  const home = devHome(root)
  // Signals from the first moment: one that comes while the session is being set up is acted on
  // as soon as there is something to stop.
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined
  let early: NodeJS.Signals | undefined
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => onSignal ? onSignal(signal) : (early ??= signal))

  const me = { pid: process.pid, start: startTime(process.pid) ?? '' }
  const previous = readSession(home)
  const reloading = previous?.launcherPid === me.pid && previous.launcherStart === me.start
  if (!reloading && previous && isSameProcess(previous.launcherPid, previous.launcherStart))
    throw new WorkspaceError(`${root}: another \`dev\` (pid ${previous.launcherPid}) is running this workspace; stop it first (Ctrl-C in its terminal)`)

  // A broken config stops a first start with an error; during a session it only pauses it.
  const load = () => resolvePlan({ cwd: root, mode: 'dev', selection })
  const first = await load().catch((error: unknown) => {
    if (reloading && isUserError(error))
      return error
    throw error
  })
  if (early && !reloading)
    return SIGNAL_CODES[early] ?? 1

  if (!reloading) {
    // What a killed session left: its watchdog may still be sweeping; it must not sweep ours.
    if (previous && isSameProcess(previous.watchdogPid, previous.watchdogStart))
      process.kill(previous.watchdogPid!, 'SIGKILL')
    if (existsSync(home))
      await sweepSession(home, { graceMs: 2000 })
    const watchdog = spawnWatchdog(home, me.pid, me.start)
    writeSession(home, { root, launcherPid: me.pid, launcherStart: me.start, watchdogPid: watchdog.pid, watchdogStart: watchdog.start })
  }
  const session = readSession(home)!
  const client = await connectPm2(home, { PM2_KILL_SIGNAL: 'SIGTERM', PM2_WORKER_INTERVAL: '2000' })
  const color = useColor()
  const names = first instanceof Error ? (await client.list()).map(p => p.name ?? '') : first.workers.map(w => w.name)
  const printer = createLogPrinter({ names, color })
  // The daemon is the session's own: every process in it is one of ours, whatever the namespace.
  const reporter = reportEvents({ bus: await client.launchBus(), client, printer, daemonLog: join(home, 'pm2.log'), restartErroredOnEdit: true })

  if (reloading)
    printer.info('the launcher reloaded: applying the config')

  let stopping = false
  let applying = Promise.resolve()
  const apply = (plan: Plan | Error, startedAt: number) => {
    applying = applying.then(() => stopping ? undefined : applyPlan(plan, startedAt)).catch((error) => {
      if (!stopping)
        printer.info(`could not apply the config: ${(error as Error).message}`)
    })
    return applying
  }
  const applyPlan = async (plan: Plan | Error, startedAt: number) => {
    if (plan instanceof Error) {
      printer.info(`${plan.message}`)
      printer.info('the running workers keep running; fix the config to apply it')
      return
    }
    reporter.setWorkers(plan.workers)
    const desired = plan.workers.map(w => withSession(w.startOptions, home, color))
    const result = await reconcile(client, plan.workspace.namespace, desired, { shouldRemove: () => true, beforeDelete: reporter.expectExit })
    const up = await waitOnline(client, plan.workspace.namespace, plan.workers.map(w => w.name), ONLINE_TIMEOUT_MS)
    const took = Math.round(performance.now() - startedAt)
    // The summary after the "started" lines of what this apply started.
    const fresh = new Set([...result.started, ...result.replaced])
    await reporter.reported(new Map([...up].filter(([name]) => fresh.has(name))), 1000)
    const missing = plan.workers.filter(w => !up.has(w.name)).map(w => w.name)
    const changes = [
      result.started.length && `${result.started.length} started`,
      result.replaced.length && `${result.replaced.length} restarted`,
      result.removed.length && `${result.removed.length} stopped`,
      result.kept.length && `${result.kept.length} unchanged`,
    ].filter(Boolean).join(', ')
    const ready = plan.workers.filter(w => up.has(w.name)).map(w => w.name)
    printer.info(missing.length
      ? `not online after ${took} ms: ${missing.join(', ')}`
      : `${ready.length} worker${ready.length === 1 ? '' : 's'} up in ${took} ms (${changes}): ${ready.join(', ')}`)
  }

  const stopWatching = watchConfigFiles(root, !process.execArgv.includes('--watch'), async () => {
    printer.info('config changed, applying it')
    const startedAt = performance.now()
    await apply(await load().catch((error: Error) => error), startedAt)
  })

  const done = new Promise<number>((finish) => {
    let firstSignalAt = 0
    onSignal = async (signal) => {
      // `bun run` and `npm run` pass the terminal's Ctrl-C on to us, which the terminal also sent
      // us: one keypress, two signals a few ms apart. A second Ctrl-C by a person comes later.
      if (stopping && performance.now() - firstSignalAt < DUPLICATE_SIGNAL_MS)
        return
      if (stopping) {
        printer.info('forced: killing every process of the session now')
        signalSession(home, 'SIGKILL')
        finish(SIGNAL_CODES[signal] ?? 1)
        return
      }
      stopping = true
      firstSignalAt = performance.now()
      printer.info(`${signal}: stopping the workers (press Ctrl-C again to kill them at once)`)
      stopWatching()
      // A config being applied finishes first (briefly), so that nothing starts after the stop.
      await Promise.race([applying, Bun.sleep(APPLY_WAIT_MS)])
      await shutdown(client, home, reporter.expectExit)
      reporter.close()
      killWatchdog(session)
      finish(SIGNAL_CODES[signal] ?? 1)
    }
  })
  if (early)
    void onSignal?.(early)

  // performance.now() counts from the launcher's start (or its last reload): the figure users feel.
  await apply(first, 0)
  return done
}

/** The session's marker (so a sweep finds the worker and its children) and the terminal's colors. */
function withSession(options: Pm2StartOptions, home: string, color: boolean): Pm2StartOptions {
  const env: Record<string, string> = { ...options.env, [SESSION_MARKER]: home }
  if (color && !env.NO_COLOR && !env.FORCE_COLOR)
    env.FORCE_COLOR = '1'
  return { ...options, env }
}

/**
 * Stops every worker (PM2 sends SIGTERM to each process tree, SIGKILL after kill_timeout), then the
 * daemon, then sweeps whatever is left and removes the session's PM2 home.
 */
async function shutdown(client: Pm2Client, home: string, expectExit: (names: string[]) => void): Promise<void> {
  const procs = await client.list().catch(() => [])
  expectExit(procs.map(p => p.name ?? ''))
  const longest = Math.max(1600, ...procs.map(p => Number((p.pm2_env as { kill_timeout?: number } | undefined)?.kill_timeout ?? 0)))
  const graceful = (async () => {
    await Promise.all(procs.map(p => client.delete(p.pm_id!).catch(() => {})))
    await client.killDaemon().catch(() => {})
  })()
  await Promise.race([graceful, Bun.sleep(longest + 2000)])
  await sweepSession(home, { graceMs: 500 })
}

function killWatchdog(session: { watchdogPid?: number, watchdogStart?: string }): void {
  if (isSameProcess(session.watchdogPid, session.watchdogStart))
    process.kill(session.watchdogPid!, 'SIGKILL')
}

/**
 * `.env` and `.env.local` are not imported, so `bun --watch` cannot see them: watch them here.
 * `pm.config.ts` is imported, so under `bun --watch` bun reloads the launcher when it changes;
 * without `--watch` it is watched here too.
 */
function watchConfigFiles(root: string, includeConfig: boolean, onChange: () => Promise<void>): () => void {
  const names = new Set<string>(ENV_FILES)
  let timer: ReturnType<typeof setTimeout> | undefined
  const watcher = watch(root, (_event, file) => {
    const name = file ? basename(String(file)) : ''
    if (!names.has(name) && !(includeConfig && /^pm\.config\.[cm]?[jt]s$/.test(name)))
      return
    clearTimeout(timer)
    timer = setTimeout(() => void onChange(), 100)
  })
  return () => {
    clearTimeout(timer)
    watcher.close()
  }
}
