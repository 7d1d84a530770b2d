// A dev session on disk and as processes: its private folder, its session file, its token, its
// watchdog, and the sweep that ends whatever of it is left.

import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ownFile } from '../bun-pm-files.ts'
import { ensurePrivateDir, isPrivateDir, userCacheDir } from '../os/files.ts'
import { cmdlineOf, descendantsOf, environOf, isSameProcess, known, type KnownProcess, pidsWithEnvironment, startTime, stillRunning, uidOf } from '../os/processes.ts'

export { isSameProcess }
import { signalGroup, waitForExit } from '../os/signals.ts'
import { becomeSubreaper } from '../os/libc.ts'
import { readDaemonPid } from '../pm2/home.ts'

/**
 * Every process a dev session starts carries this variable, its value a secret made for the
 * session (in its 0600 session.json and in those processes' environments, which only the user
 * can read): that is how a sweep finds all of them, children of workers included, and never
 * anything else — a guessable value would let another process be swept with them.
 */
export const SESSION_TOKEN_KEY = 'BUN_PM_DEV_SESSION'

/** The watchdog learns the token under another name, so that a sweep never takes it for a worker. */
export const WATCHDOG_TOKEN_KEY = 'BUN_PM_WATCHDOG_SESSION'

export interface SessionFile {
  root: string
  token: string
  launcherPid: number
  launcherStart: string
  /** The launcher's command line (/proc/<pid>/cmdline): a process is taken for the launcher only when it has the same. */
  launcherCommand?: string
  watchdogPid?: number
  watchdogStart?: string
}

/**
 * Where dev sessions live: `$XDG_RUNTIME_DIR/bun-pm` (the user's private runtime folder) or else
 * `$XDG_CACHE_HOME/bun-pm/dev` (`~/.cache/bun-pm/dev`): never a path in a shared folder such as /tmp, which another user could
 * create first. Short, because PM2's socket paths must stay under the OS limit (108 bytes).
 */
export function devBase(): string {
  const runtime = process.env.XDG_RUNTIME_DIR
  if (runtime && isPrivateDir(runtime))
    return join(runtime, 'bun-pm')
  return join(userCacheDir(), 'dev')
}

/**
 * The private PM2 home of `dev` for a workspace: never the user's own PM2 home, so `dev` cannot
 * disturb a daemon that runs `start`; one per workspace, so a new session finds what a killed one left.
 */
export function devHome(root: string): string {
  const hash = createHash('sha256').update(resolve(root)).digest('hex').slice(0, 12)
  return join(devBase(), hash)
}

/** A fresh secret for a session. */
export function newToken(): string {
  return randomBytes(16).toString('hex')
}

/** The session file, if there is one of the right shape. */
export function readSession(home: string): SessionFile | undefined {
  try {
    return parseSession(readFileSync(join(home, 'session.json'), 'utf8'))
  }
  catch {
    return undefined
  }
}

/** A session file's text, checked field by field: anything else (a hand edit, a half-written file) is no session. Pure. */
export function parseSession(text: string): SessionFile | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  }
  catch {
    return undefined
  }
  const s = value as Partial<SessionFile> | null
  const ok = typeof s === 'object' && s !== null && typeof s.root === 'string' && typeof s.token === 'string' && /^[0-9a-f]{32}$/.test(s.token)
    && Number.isInteger(s.launcherPid) && typeof s.launcherStart === 'string' && (s.launcherCommand === undefined || typeof s.launcherCommand === 'string')
    && (s.watchdogPid === undefined || Number.isInteger(s.watchdogPid)) && (s.watchdogStart === undefined || typeof s.watchdogStart === 'string')
  return ok ? s as SessionFile : undefined
}

/** What a refused session folder is for, in its one-line error. */
export const SESSION_DIR_PURPOSE = 'bun-pm keeps its dev session here'

export function writeSession(home: string, session: SessionFile): void {
  ensurePrivateDir(home, SESSION_DIR_PURPOSE)
  const temp = join(home, `session.json.${process.pid}`)
  writeFileSync(temp, `${JSON.stringify(session)}\n`, { mode: 0o600 })
  renameSync(temp, join(home, 'session.json'))
}

/**
 * True when the session's launcher still runs: the same process (pid and start time), this
 * user's, with the command line it wrote down. What session.json says is only believed of a
 * process that is verifiably the one that wrote it.
 */
export function isLauncher(session: SessionFile): boolean {
  const { launcherPid: pid, launcherStart: start, launcherCommand: command } = session
  // A file without the command line (planted, or an older bun-pm's) names no launcher.
  return command !== undefined && isSameProcess(pid, start) && uidOf(pid) === process.getuid?.() && cmdlineOf(pid) === command
}

/** True when `pid` is this session's watchdog: same process, this user, and it holds the session's token. */
export function isSessionWatchdog(session: SessionFile): boolean {
  const { watchdogPid: pid, watchdogStart: start, token } = session
  return pid !== undefined && isSameProcess(pid, start) && uidOf(pid) === process.getuid?.() && environOf(pid).includes(`${WATCHDOG_TOKEN_KEY}=${token}`)
}

/**
 * The watchdog: a small detached process that sweeps the session when the launcher dies, however
 * it dies (SIGKILL included). Detached, so the terminal's Ctrl-C does not reach it. It gets the
 * token in its environment (an argument would show in `ps` to every user).
 */
export function spawnWatchdog(home: string, token: string, launcherPid: number, launcherStart: string): { pid: number, start: string } {
  const script = ownFile('dev/watchdog')
  const env: Record<string, string | undefined> = { ...process.env, [WATCHDOG_TOKEN_KEY]: token }
  delete env[SESSION_TOKEN_KEY]
  delete env.PM2_HOME
  const child = spawn(process.execPath, ['--no-env-file', script, home, String(launcherPid), launcherStart], {
    detached: true,
    stdio: 'ignore',
    env,
  })
  child.unref()
  return { pid: child.pid!, start: startTime(child.pid!) ?? '' }
}

/** Pids of the session's processes: its PM2 daemon, workers and their children, found by the token. */
export function sessionPids(token: string, exclude: number[] = []): number[] {
  return pidsWithEnvironment([`${SESSION_TOKEN_KEY}=${token}`]).filter(pid => pid !== process.pid && !exclude.includes(pid))
}


/**
 * The daemon first (so it cannot restart anything), then every other process of the session:
 * those that carry the token, whatever descends from them (a child that cleared its environment),
 * and `adopted` ones (orphans that came to the launcher, noted by it or its watchdog). Returns
 * what it signalled, by pid and start time, so that a later SIGKILL never hits a recycled pid.
 */
export function signalSession(home: string, token: string, signal: NodeJS.Signals, { exclude = [], adopted = [] }: { exclude?: number[], adopted?: KnownProcess[] } = {}): KnownProcess[] {
  const carriers = sessionPids(token, exclude)
  const daemon = readDaemonPid(home)
  // Their descendants, noted before anything dies and is handed to init.
  const targets = known([...carriers, ...descendantsOf(carriers)].filter(pid => pid !== daemon && !exclude.includes(pid)))
  for (const p of adopted) {
    if (!exclude.includes(p.pid) && !targets.some(t => t.pid === p.pid) && stillRunning(p))
      targets.push(p)
  }
  if (daemon !== undefined && carriers.includes(daemon))
    signalGroup(daemon, 'SIGKILL')
  for (const { pid } of targets)
    signalGroup(pid, signal)
  return targets
}

/**
 * Ends whatever a session left: SIGKILL to its daemon, SIGTERM to the rest, SIGKILL after
 * `graceMs` to those still the same processes; then removes its PM2 home (but its `logs` with `keepLogs`).
 */
export async function sweepSession(home: string, token: string | undefined, { graceMs, exclude = [], adopted = [], keepLogs = false }: { graceMs: number, exclude?: number[], adopted?: KnownProcess[], keepLogs?: boolean }): Promise<void> {
  if (token) {
    const targets = signalSession(home, token, 'SIGTERM', { exclude, adopted })
    await waitForExit(targets.map(p => p.pid), graceMs)
    const survivors = targets.filter(stillRunning)
    for (const { pid } of survivors)
      signalGroup(pid, 'SIGKILL')
    await waitForExit(survivors.map(p => p.pid), 1000)
  }
  else {
    // No session file to go by: only the daemon, if it is verifiably this home's and this user's.
    const daemon = readDaemonPid(home)
    if (daemon !== undefined && uidOf(daemon) === process.getuid?.() && environOf(daemon).includes(`PM2_HOME=${home}`))
      signalGroup(daemon, 'SIGKILL')
  }
  if (!existsSync(home))
    return
  // The workers' full output outlives the session (what a slow terminal dropped is there), until the next one.
  for (const entry of readdirSync(home)) {
    if (!(keepLogs && entry === 'logs'))
      rmSync(join(home, entry), { recursive: true, force: true })
  }
  if (!keepLogs)
    rmSync(home, { recursive: true, force: true })
}

/**
 * A new session in `home` for this launcher (dev, or run): orphans of its workers come to it (a
 * subreaper), a watchdog ends everything if it dies, and the session file says both. Its token.
 */
export function openSession(home: string, root: string, me: { pid: number, start: string }): string {
  becomeSubreaper()
  const token = newToken()
  const watchdog = spawnWatchdog(home, token, me.pid, me.start)
  writeSession(home, { root, token, launcherPid: me.pid, launcherStart: me.start, launcherCommand: cmdlineOf(me.pid), watchdogPid: watchdog.pid, watchdogStart: watchdog.start })
  return token
}

/** What a session's own PM2 daemon is started with: SIGTERM for stops, memory looked at every 2 s, the session's mark. */
export function sessionDaemonEnv(token: string): Record<string, string> {
  return { PM2_KILL_SIGNAL: 'SIGTERM', PM2_WORKER_INTERVAL: '2000', [SESSION_TOKEN_KEY]: token }
}
