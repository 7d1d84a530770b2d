// `run -- <command>`: the selection up on a private daemon, the command run against it, everything gone after.

import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { createLogPrinter, type LogPrinter, useColor } from '../report/log-printer.ts'
import { reportEvents } from '../report/events.ts'
import { watchHealth } from '../supervise/readiness.ts'
import { agentMustListenFirst } from '../supervise/apply-decisions.ts'
import { ensurePrivateDir } from '../os/files.ts'
import { startTime } from '../os/processes.ts'
import { requireSupportedPlatform } from '../os/platform.ts'
import { latchSignals, onParentExit, SIGNAL_EXIT_CODES } from '../os/signals.ts'
import { connectPm2 } from '../pm2/client.ts'
import type { Pm2Packet } from '../pm2/process-view.ts'
import { isAgentName } from '../model/agent-spec.ts'
import { spawnDaemon } from '../pm2/daemon.ts'
import { pm2Rules } from '../pm2/schema.ts'
import { resolvePlan } from '../plan/resolve-plan.ts'
import { unitsOf } from '../model/units.ts'
import { signalExitCode } from '../model/lifecycle.ts'
import type { Selection } from '../types/config.ts'
import type { NoteKind } from '../types/health.ts'
import { devBase, openSession, readSession, SESSION_DIR_PURPOSE, SESSION_TOKEN_KEY, sessionDaemonEnv } from '../dev/session.ts'
import { killWatchdog, shutdown } from '../dev/shutdown.ts'
import { deploy } from '../start/deploy.ts'
import { printFailures } from '../start/failures.ts'
import { runExitCode, workerAddresses } from './addresses.ts'

export interface RunOptions {
  cwd?: string
  selection: Selection
  env?: string
  timeoutMs: number
  command: string[]
  /** The workers' lines while the command runs too (before it, they are shown anyway). */
  logs: boolean
  /** A worker that crashes while the command runs makes `run` fail, whatever the command returns. */
  strict: boolean
}

/** What the agent says when a worker fails while the command runs. */
const CRASHES: NoteKind[] = ['restart', 'crash-loop', 'errored', 'exited', 'failed']

/**
 * Starts the selection (with what it depends on) as `start` would, but on a PM2 daemon of its own
 * — in a folder of its own, so that two runs never meet — with dev's guarantees (a subreaper, a
 * watchdog that ends everything if this process dies); once every worker is ready, runs the
 * command with their addresses in its environment; then stops everything and removes the
 * folder. The exit code is the command's (1 when a worker never became ready: the command does
 * not run).
 */
export async function runCommand({ cwd, selection, env, timeoutMs, command, logs, strict }: RunOptions): Promise<number> {
  requireSupportedPlatform('run')
  const root = resolve(cwd ?? '.')
  const signals = latchSignals()
  const plan = await resolvePlan({ cwd: root, mode: 'start', selection, env, rules: pm2Rules() })
  const home = join(devBase(), `run-${createHash('sha256').update(root).digest('hex').slice(0, 8)}-${process.pid}`)
  ensurePrivateDir(dirname(home), SESSION_DIR_PURPOSE)
  ensurePrivateDir(home, SESSION_DIR_PURPOSE)
  const token = openSession(home, root, { pid: process.pid, start: startTime(process.pid) ?? '' })
  const session = readSession(home)!
  const daemonEnv = sessionDaemonEnv(token)
  await spawnDaemon(home, daemonEnv)
  const client = await connectPm2(home, daemonEnv)

  // The workers' lines and bun-pm's go to stderr: the command's stdout is its own.
  let quiet = false
  const base = createLogPrinter({ names: plan.workers.flatMap(w => unitsOf(w.name, w.replicas)), color: useColor(process.stderr), logDir: join(home, 'logs'), write: text => process.stderr.write(text) })
  const printer: LogPrinter = { ...base, chunk: (name, stream, data) => quiet && !logs ? undefined : base.chunk(name, stream, data) }
  const bus = await client.launchBus()
  const health = watchHealth(bus, undefined)
  const reporter = reportEvents({ bus, client, health, printer, daemonLog: join(home, 'pm2.log') })
  reporter.setWorkers(plan.workers)
  let crashed = false
  let commandRuns = false
  // While the command runs nothing is stopped on purpose: a worker's exit but a job's exit 0 is a crash.
  bus.on('process:event', (packet) => {
    const { process: proc, event } = packet as unknown as { process: Pm2Packet['process'], event?: string }
    if (commandRuns && event === 'exit' && !isAgentName(proc.name) && (proc.exit_signal || proc.exit_code !== 0))
      crashed = true
  })
  health.onNotes((notes) => {
    if (commandRuns && notes.some(note => CRASHES.includes(note.kind)))
      crashed = true
  })

  let child: ReturnType<typeof Bun.spawn> | undefined
  const finish = async (code: number): Promise<number> => {
    await shutdown(client, home, session, plan.deps, reporter.expectExit, true)
    reporter.close()
    killWatchdog(session)
    rmSync(home, { recursive: true, force: true })
    return code
  }
  // A signal before the command runs ends the run; while it runs, the command gets it (a
  // terminal's Ctrl-C reaches it by itself), and the run ends when it does.
  signals.handle((signal) => {
    if (child && !(signal === 'SIGINT' && process.stdin.isTTY))
      child.kill(signal)
  })
  onParentExit(() => process.kill(process.pid, 'SIGTERM'))

  const deployed = await Promise.race([
    deploy({ client, health, plan, home, timeoutMs, waitForAgent: agentMustListenFirst(plan.workers), shouldRemove: () => true, beforeDelete: reporter.expectExit }),
    signals.next(),
  ]).catch(async (error: unknown) => {
    // Whatever went wrong, nothing of the run stays behind.
    await finish(1)
    throw error
  })
  if (typeof deployed === 'string')
    return finish(SIGNAL_EXIT_CODES[deployed] ?? 1)
  if (deployed.failures.length > 0) {
    printFailures(deployed.failures)
    console.error(`error: the command did not run: ${deployed.failures.map(f => f.name).join(', ')} did not become ready`)
    return finish(1)
  }
  printer.info(`${plan.workers.length} worker${plan.workers.length === 1 ? '' : 's'} ready in ${deployed.tookMs} ms; running ${command.join(' ')}`)
  quiet = true
  commandRuns = true
  const addresses = workerAddresses(plan.workers.map(w => ({ name: w.name, heartbeat: w.health.heartbeat })))
  // The session's mark: a watchdog that finds this process gone ends the command too.
  try {
    child = Bun.spawn(command, { stdio: ['inherit', 'inherit', 'inherit'], env: { ...process.env, ...addresses, BUN_PM_HOME: home, [SESSION_TOKEN_KEY]: token } })
  }
  catch (error) {
    // As a shell says it: 127, the command is not there.
    console.error(`error: the command did not run: ${command[0]}: ${(error as { code?: string }).code === 'ENOENT' || /not found/i.test((error as Error).message) ? 'no such command (not a file, and not on PATH)' : (error as Error).message}`)
    return finish(127)
  }
  const exited = await child.exited
  commandRuns = false
  const code = child.signalCode ? signalExitCode(String(child.signalCode)) : exited
  if (crashed)
    console.error(`error: a worker crashed while the command ran${strict ? ' (--strict: run fails)' : ''}; its lines are above`)
  return finish(runExitCode({ code, crashed, strict }))
}
