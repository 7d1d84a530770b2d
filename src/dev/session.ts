import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import { readDaemonPid } from '../pm2/client.ts'
import { isAlive, signalGroup, startTime, waitForExit } from '../os/processes.ts'

/**
 * Every process a dev session starts carries this variable (value: the session's PM2 home), and
 * the daemon carries PM2_HOME with the same value: that is how a sweep finds all of them, children
 * of workers included, and never anything else.
 */
export const SESSION_MARKER = 'BUN_PM_DEV_HOME'

export interface SessionFile {
  root: string
  launcherPid: number
  launcherStart: string
  watchdogPid?: number
  watchdogStart?: string
}

/**
 * The private PM2 home of `dev` for a workspace: never the user's own PM2 home, so `dev` cannot
 * disturb a daemon that runs `start`. In the temp folder, because PM2's socket paths must stay
 * short; one per workspace and user, so a new session finds what a killed one left.
 */
export function devHome(root: string): string {
  const hash = createHash('sha256').update(resolve(root)).digest('hex').slice(0, 12)
  return join(tmpdir(), `bun-pm-dev-${userInfo().uid}-${hash}`)
}

export function readSession(home: string): SessionFile | undefined {
  try {
    return JSON.parse(readFileSync(join(home, 'session.json'), 'utf8'))
  }
  catch {
    return undefined
  }
}

export function writeSession(home: string, session: SessionFile): void {
  mkdirSync(home, { recursive: true })
  writeFileSync(join(home, 'session.json'), `${JSON.stringify(session)}\n`)
}

/** True when `pid` is still the very process that had `start` as its start time. */
export function isSameProcess(pid: number | undefined, start: string | undefined): boolean {
  return pid !== undefined && start !== undefined && isAlive(pid) && startTime(pid) === start
}

/**
 * The watchdog: a small detached process that sweeps the session when the launcher dies, however
 * it dies (SIGKILL included). Detached, so the terminal's Ctrl-C does not reach it.
 */
export function spawnWatchdog(home: string, launcherPid: number, launcherStart: string): { pid: number, start: string } {
  const script = resolve(import.meta.dirname, `watchdog${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`)
  const env = { ...process.env }
  delete env[SESSION_MARKER]
  delete env.PM2_HOME
  const child = spawn(process.execPath, ['--no-env-file', script, home, String(launcherPid), launcherStart], {
    detached: true,
    stdio: 'ignore',
    env,
  })
  child.unref()
  return { pid: child.pid!, start: startTime(child.pid!) ?? '' }
}

/** Pids of the session's processes: its PM2 daemon, workers and their children. */
export function sessionPids(home: string, exclude: number[] = []): number[] {
  const markers = [`${SESSION_MARKER}=${home}`, `PM2_HOME=${home}`]
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid || exclude.includes(pid))
      continue
    let environ: string
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1')
    }
    catch {
      continue
    }
    if (environ.split('\0').some(entry => markers.includes(entry)))
      pids.push(pid)
  }
  return pids
}

/** The daemon first (so it cannot restart anything), then every other process of the session. */
export function signalSession(home: string, signal: NodeJS.Signals, exclude: number[] = []): number[] {
  const pids = sessionPids(home, exclude)
  const daemon = readDaemonPid(home)
  if (daemon !== undefined && pids.includes(daemon))
    signalGroup(daemon, 'SIGKILL')
  const others = pids.filter(pid => pid !== daemon)
  for (const pid of others)
    signalGroup(pid, signal)
  return others
}

/**
 * Ends whatever a session left: SIGKILL to its daemon, SIGTERM to the rest, SIGKILL after
 * `graceMs`; then removes its PM2 home.
 */
export async function sweepSession(home: string, { graceMs, exclude = [] }: { graceMs: number, exclude?: number[] }): Promise<void> {
  const pids = signalSession(home, 'SIGTERM', exclude)
  const survivors = await waitForExit(pids, graceMs)
  for (const pid of survivors)
    signalGroup(pid, 'SIGKILL')
  await waitForExit(survivors, 1000)
  if (existsSync(home))
    rmSync(home, { recursive: true, force: true })
}

