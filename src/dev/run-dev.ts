// `dev`: the foreground session, from its first signal to its last sweep.

import { dirname, join, resolve } from 'node:path'
import { boundedStdout, createLogPrinter, useColor } from '../report/log-printer.ts'
import { liveLineBelow } from '../report/progress.ts'
import { unitsOf, unitsOfProcesses } from '../model/units.ts'
import { isUserError, WorkspaceError } from '../errors.ts'
import { reportEvents } from '../report/events.ts'
import { isAgentName } from '../model/agent-spec.ts'
import { readLiveSnapshot } from '../agent/state-file.ts'
import { watchHealth } from '../supervise/readiness.ts'
import { ensurePrivateDir } from '../os/files.ts'
import { startTime } from '../os/processes.ts'
import { connectPm2 } from '../pm2/client.ts'
import type { Selection } from '../types/config.ts'
import type { Dependencies } from '../model/order.ts'
import { type Plan, planFor, resolvePlan } from '../plan/resolve-plan.ts'
import { besideProduction, productionOf } from './beside-production.ts'
import { createConfigApplier } from './apply-config.ts'
import { guardSession } from './guard.ts'
import { createRetryOnEdit } from './retry-on-edit.ts'
import { checkWatchBudget } from './watch-budget.ts'
import { devHome, isLauncher, isSessionWatchdog, openSession, readSession, SESSION_DIR_PURPOSE, sessionDaemonEnv, signalSession, sweepSession } from './session.ts'
import { pm2Rules } from '../pm2/schema.ts'
import { latchSignals, onParentExit, SIGNAL_EXIT_CODES, waitForExit } from '../os/signals.ts'
import { adoptedOrphans, killWatchdog, shutdown, sweepAll } from './shutdown.ts'
import { watchConfigFiles } from './watch-config.ts'
import { followImports } from './follow-imports.ts'
import { codeDigest } from '../plan/code-digest.ts'
import { requireSupportedPlatform } from '../os/platform.ts'
import { inotifyInUse, inotifyLimit } from '../os/inotify.ts'
import { daemonRunning, userPm2Home } from '../pm2/home.ts'
import { spawnDaemon } from '../pm2/daemon.ts'

/** Signals closer together than this are one Ctrl-C delivered twice. */
const DUPLICATE_SIGNAL_MS = 150
/** How long a new dev waits for a killed session's watchdog to finish its sweep. */
const OLD_WATCHDOG_WAIT_MS = 5000
/** How long a stop waits for a config being applied to finish. */
const APPLY_WAIT_MS = 3000

/**
 * The foreground loop. Design, from what PM2 does under bun (see the README, "How dev works"):
 * a PM2 daemon private to this session, so that a `bun --watch` reload of the launcher keeps
 * unchanged workers running; a watchdog process that ends the session if the launcher dies; and
 * a shutdown that stops every worker with SIGTERM, then SIGKILL after its kill_timeout.
 */
export async function runDev({ cwd, selection, env, json = false }: { cwd?: string, selection: Selection, env?: string, json?: boolean }): Promise<number> {
  requireSupportedPlatform('dev')
  const root = resolve(cwd ?? '.')
  const home = devHome(root)
  // The folder of all sessions is the user's alone, so no one else can have made this one's.
  ensurePrivateDir(dirname(home), SESSION_DIR_PURPOSE)
  // Signals from the first moment: one that comes while the session is being set up is acted on
  // as soon as there is something to stop.
  const signals = latchSignals()

  const me = { pid: process.pid, start: startTime(process.pid) ?? '' }
  const previous = readSession(home)
  const reloading = previous?.launcherPid === me.pid && previous.launcherStart === me.start
  if (!reloading && previous && isLauncher(previous))
    throw new WorkspaceError(`${root}: another \`dev\` (pid ${previous.launcherPid}) is running this workspace; stop it first (Ctrl-C in its terminal)`)

  // A broken config stops a first start with an error; during a session it only pauses it.
  const rules = pm2Rules()
  const load = () => resolvePlan({ cwd: root, mode: 'dev', selection, env, rules })
  // A config that takes long to load (up to its timeout) does not hold up a Ctrl-C.
  const first = await Promise.race([
    load().catch((error: unknown) => {
      if (reloading && isUserError(error))
        return error
      throw error
    }),
    signals.next().then(signal => new WorkspaceError(`${signal} while the config was loading`)),
  ])
  if (signals.first && !reloading)
    return SIGNAL_EXIT_CODES[signals.first] ?? 1
  if (!reloading) {
    // What a killed session left: its watchdog may still be sweeping (it alone knows the orphans
    // that went to init); let it finish, briefly, and it must not sweep ours.
    if (previous && isSessionWatchdog(previous)) {
      const done = await waitForExit([previous.watchdogPid!], OLD_WATCHDOG_WAIT_MS)
      if (done.length > 0)
        process.kill(previous.watchdogPid!, 'SIGKILL')
    }
    await sweepSession(home, previous?.token, { graceMs: 2000 })
    // Before anything starts: more bun --watch workers than inotify allows is an error, not 300 EMFILEs.
    if (!(first instanceof Error))
      checkWatchBudget(first, { limit: inotifyLimit(), inUse: inotifyInUse() })
    ensurePrivateDir(home, SESSION_DIR_PURPOSE)
    // Orphans of the session (a worker's child that cleared its environment and left its group)
    // come to the launcher rather than to init: its shutdown and its watchdog end them too.
    openSession(home, root, me)
  }
  let session = readSession(home)!
  // Before PM2_HOME becomes the session's: the user's own daemon may run this workspace already.
  const userHome = userPm2Home()
  const inProduction = first instanceof Error || reloading ? [] : [...new Set(productionOf(userHome, first.workspace.namespace).map(p => p.worker))]
  const daemonEnv = sessionDaemonEnv(session.token)
  // Spawned as start's is (with bun-pm's bounded log writer), unless a reload finds it running.
  if (!daemonRunning(home))
    await spawnDaemon(home, daemonEnv)
  const client = await connectPm2(home, daemonEnv)
  // --json: one object a line for a script, no colors in the workers' text and no live line.
  const color = !json && useColor()
  const running = first instanceof Error ? await client.list() : []
  const names = first instanceof Error ? unitsOfProcesses(running.filter(p => !isAgentName(p.name))) : first.workers.flatMap(w => unitsOf(w.name, w.replicas))
  const namespace = first instanceof Error ? running.find(p => isAgentName(p.name))?.namespace ?? '' : first.workspace.namespace
  // The first start's live line stays below the workers' lines (a terminal only).
  const live = reloading || json ? undefined : liveLineBelow()
  const printer = createLogPrinter({ names, color, json, logDir: join(home, 'logs'), ...(live && { write: live.wrap(boundedStdout()) }) })
  const bus = await client.launchBus()
  const health = watchHealth(bus, undefined, readLiveSnapshot(home, namespace))
  // The daemon is the session's own: every process in it is one of ours, whatever the namespace.
  const reporter = reportEvents({ bus, client, health, printer, daemonLog: join(home, 'pm2.log'), retry: createRetryOnEdit(client, line => printer.info(line)) })
  const applier = createConfigApplier({ client, health, reporter, printer, token: session.token, color, ...(live && { progress: live }) })

  if (reloading && !signals.first)
    printer.info('the launcher reloaded: applying the config')
  if (inProduction.length > 0)
    printer.info(`note: \`start\` already runs this workspace on the PM2 daemon of ${userHome} (${inProduction.join(', ')}); dev leaves it alone, and does not start a worker whose production process holds the port it would take`)
  // Each plan, before it is applied: what would share a port with production is left out, and said so.
  const besideStart = (plan: Plan | Error): Plan | Error => {
    if (plan instanceof Error)
      return plan
    const held = besideProduction(plan.workers.map(w => ({ name: w.name, heartbeat: w.health.heartbeat })), productionOf(userHome, plan.workspace.namespace), userHome)
    for (const [name, why] of held)
      printer.info(`not started: ${name}: ${why}`)
    return held.size === 0 ? plan : planFor(plan.workspace, plan.workers.filter(w => !held.has(w.name)), plan.added)
  }

  let stopping = false
  let deps: Dependencies = first instanceof Error ? {} : first.deps
  let loads = 0
  // `npx bun-pm dev` killed: npm dies without passing the signal on. dev stops as if it had come
  // (not when it stops already: `bun run` goes at Ctrl-C before the launcher has stopped).
  onParentExit((pid) => {
    if (stopping)
      return
    printer.info(`the process that started dev (pid ${pid}) is gone: stopping`)
    process.kill(process.pid, 'SIGTERM')
  })

  // A PM2-watched worker's watch list follows its imports: a file it imports since is a new list.
  let stopFollowing = () => {}
  const apply = (plan: Plan | Error, startedAt: number) => {
    if (!(plan instanceof Error)) {
      stopFollowing()
      stopFollowing = followImports(plan.workers, script => codeDigest(script).files, names => void reload(`${names.join(', ')} ${names.length === 1 ? 'imports' : 'import'} other files now, applying the config`))
    }
    return applier.apply(besideStart(plan), startedAt)
  }
  const reload = async (line: string) => {
    printer.info(line)
    const startedAt = performance.now()
    // Loads can overlap (two saves, a slow config): only the latest one is applied.
    const mine = ++loads
    const plan = await load().catch((error: Error) => error)
    if (mine !== loads)
      return
    if (!(plan instanceof Error))
      deps = plan.deps
    await apply(plan, startedAt)
  }
  const stopWatchingConfig = watchConfigFiles(root, !process.execArgv.includes('--watch'), () => reload('config changed, applying it'))
  const stopWatching = () => {
    stopWatchingConfig()
    stopFollowing()
  }

  const done = new Promise<number>((finish) => {
    const guard = guardSession(home, session, {
      onWatchdogReplaced: (pid) => {
        session = readSession(home) ?? session
        printer.info(`the watchdog had died; a new one watches this session (pid ${pid})`)
      },
      // Its workers have lost their supervisor: end the session rather than leave them unwatched.
      onDaemonLost: (pid) => {
        if (stopping)
          return
        stopping = true
        printer.info(`the PM2 daemon of this session (pid ${pid}) died; stopping every worker it had and exiting`)
        stopWatching()
        void applier.stop()
        reporter.close()
        void sweepAll(home, session, true, 1000).then(() => {
          killWatchdog(session)
          finish(1)
        })
      },
    })
    let firstSignalAt = 0
    const onSignal = async (signal: NodeJS.Signals) => {
      // `bun run` and `npm run` pass the terminal's Ctrl-C on to us, which the terminal also sent
      // us: one keypress, two signals a few ms apart. A second Ctrl-C by a person comes later.
      if (stopping && performance.now() - firstSignalAt < DUPLICATE_SIGNAL_MS)
        return
      if (stopping) {
        printer.info('forced: killing every process of the session now')
        signalSession(home, session.token, 'SIGKILL', { exclude: [session.watchdogPid ?? 0], adopted: adoptedOrphans(session) })
        finish(SIGNAL_EXIT_CODES[signal] ?? 1)
        return
      }
      stopping = true
      firstSignalAt = performance.now()
      printer.info(`${signal}: stopping the workers (press Ctrl-C again to kill them at once)`)
      stopWatching()
      // A config being applied finishes first (briefly), so that nothing starts after the stop.
      await Promise.race([applier.stop(), Bun.sleep(APPLY_WAIT_MS)])
      guard.stop()
      await shutdown(client, home, session, deps, reporter.expectExit, guard.daemonAlive())
      reporter.close()
      killWatchdog(session)
      finish(SIGNAL_EXIT_CODES[signal] ?? 1)
    }
    signals.handle(signal => void onSignal(signal))
  })

  // performance.now() counts from the launcher's start (or its last reload): the figure users feel.
  await apply(first, 0)
  return done
}

