// A PM2 daemon for `start` (and dev's, spawned the same way): connected to or spawned, watched for
// its death, and one apply per workspace at a time (a lock in its home).

import { spawn } from 'node:child_process'
import { createConnection } from 'node:net'
import { closeSync, existsSync, openSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { WorkspaceError } from '../errors.ts'
import { ensurePrivateDir } from '../os/files.ts'
import { isAlive, startTime } from '../os/processes.ts'
import { trace } from '../trace.ts'
import { connectPm2, loadPm2, type Pm2Client } from './client.ts'
import { socketPaths } from './light-client.ts'
import { tryLock } from '../os/libc.ts'
import { daemonRunning, readDaemonPid } from './home.ts'
import { ownFile } from '../bun-pm-files.ts'

/** How long a client waits for another that is spawning (or connecting to) the daemon. */
const LOCK_WAIT_MS = 60_000

/**
 * Connects to the daemon of `home`, spawning it (with `envIfSpawned`) when none runs. Two clients
 * that each find no daemon would each spawn one (PM2 has no lock), and PM2 writes pm2.pid before
 * its socket answers: every client takes a lock (flock, released by the kernel if its holder
 * dies) in the home around finding and connecting, so the second waits and connects to the first
 * one's daemon. A home it spawns a daemon in must be the user's, and is made 0700: PM2 writes
 * workers' output and environments there.
 */
export async function connectOrSpawn(home: string, envIfSpawned: Record<string, string>): Promise<{ client: Pm2Client, spawned: boolean }> {
  if (!daemonRunning(home))
    ensurePrivateDir(home, 'bun-pm starts a PM2 daemon with this PM2 home')
  const release = await lock(join(home, 'bun-pm-spawn.lock'))
  try {
    // The pid file can miss a daemon that answers (pm2-runtime, a deleted pm2.pid): its socket decides.
    const spawned = !daemonRunning(home) && !(await socketAnswers(socketPaths(home).rpc))
    // PM2's own launcher when it has more to do than spawn: a PM2 Plus link to start beside the
    // daemon, daemon arguments (PM2_NODE_OPTIONS, PM2_OPTIMIZE_MEMORY).
    const ours = spawned && !needsPm2Launcher(home)
    if (ours)
      await spawnDaemon(home, envIfSpawned)
    return { client: await connectPm2(home, spawned ? envIfSpawned : {}, { launchModules: ours }), spawned }
  }
  finally {
    release()
  }
}

const require = createRequire(import.meta.url)
/** A daemon that has not said it listens by then is not going to. */
const DAEMON_READY_TIMEOUT_MS = 20_000

/** PM2's own launcher does more than spawn here: it starts a PM2 Plus link (`pm2 link`) or passes daemon arguments. */
function needsPm2Launcher(home: string): boolean {
  const env = process.env
  return existsSync(join(home, 'agent.json5')) || Boolean(env.PM2_PUBLIC_KEY || env.PM2_SECRET_KEY || env.PM2_NODE_OPTIONS || env.PM2_OPTIMIZE_MEMORY)
}

/** True when something accepts a connection on the unix socket at `path` (refused or absent: false, at once). */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** What bun-pm preloads into the daemons it spawns, in this order (see spawnDaemon). */
export const DAEMON_PRELOADS = ['pm2/daemon-treekill', 'pm2/daemon-logs', 'pm2/daemon-exit-signal', 'pm2/daemon-slim-list', 'agent/in-daemon'].map(name => ownFile(name))

/**
 * Spawns `home`'s PM2 daemon as pm2's own client does (pm2/lib/Client.js, launchDaemon: this
 * runtime, detached, its output to pm2.log, ready when it says so over IPC), but without first
 * pinging a daemon the pid file already says is not there: pm2.connect's ping waits out its
 * socket's 100 ms retry before it spawns. Called under the spawn lock.
 */
export async function spawnDaemon(home: string, env: Record<string, string>): Promise<void> {
  const log = join(home, 'pm2.log')
  const [out, err] = [openSync(log, 'a', 0o600), openSync(log, 'a', 0o600)]
  try {
    // Preloaded: PM2's tree kill without a `ps` per stopped process (first: before PM2's God.js
    // loads), bun-pm's log writer (its workers' files within their budget), the signal beside
    // each exit code (PM2 says a killed process exited 0), the slim process list bun-pm's client
    // asks for, and the health agents run inside the daemon (no process of their own:
    // src/pm2/daemon-agents.ts).
    const preloads = DAEMON_PRELOADS.flatMap(path => ['--preload', path])
    const child = spawn(process.execPath, [...preloads, require.resolve('pm2/lib/Daemon.js')], {
      detached: true,
      cwd: process.cwd(),
      // As pm2's client would hand it: after its import, which sets PM2_PROGRAMMATIC.
      env: { SILENT: 'true', ...process.env, ...env, PM2_HOME: home, PM2_PROGRAMMATIC: 'true' },
      stdio: ['ignore', out, err, 'ipc'],
    })
    let timer: ReturnType<typeof setTimeout> | undefined
    const ready = new Promise<void>((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', code => reject(new WorkspaceError(`the PM2 daemon (${home}) exited with code ${code} as it started; see ${log}`)))
      child.once('message', () => resolve())
      timer = setTimeout(() => {
        // Ours and silent: it goes, rather than hold the home's spawn lock and sockets.
        child.kill('SIGKILL')
        reject(new WorkspaceError(`the PM2 daemon (${home}) did not say it listens within ${DAEMON_READY_TIMEOUT_MS / 1000} s (can it bind ${socketPaths(home).rpc}?); see ${log}`))
      }, DAEMON_READY_TIMEOUT_MS)
    }).finally(() => clearTimeout(timer))
    ready.catch(() => {})
    // pm2's API loads (and makes the home's folders) while the daemon boots in its own process.
    await loadPm2(home)
    await ready
    child.removeAllListeners()
    child.disconnect()
    child.unref()
    trace('daemon spawned')
  }
  finally {
    closeSync(out)
    closeSync(err)
  }
}

/**
 * Runs `fn` while holding the namespace's apply lock: two `start`s at once (a deploy script and a
 * person) would each see N replicas where M are wanted, and each add the difference.
 */
export async function withApplyLock<T>(home: string, namespace: string, fn: () => Promise<T>): Promise<T> {
  ensurePrivateDir(join(home, 'bun-pm'), 'bun-pm keeps its state for this PM2 home here')
  const release = await lock(join(home, 'bun-pm', `${namespace}.apply.lock`))
  try {
    return await fn()
  }
  finally {
    release()
  }
}

async function lock(path: string): Promise<() => void> {
  const fd = openSync(path, 'a', 0o600)
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    const locked = tryLock(fd)
    // Without flock (not Linux), no lock: the platform check refuses those before this.
    if (locked !== false)
      return () => closeSync(fd)
    if (Date.now() > deadline) {
      closeSync(fd)
      throw new WorkspaceError(`${path}: another bun-pm has been starting or reaching this PM2 daemon for ${LOCK_WAIT_MS / 1000} s; if none runs, remove the file and try again`)
    }
    await Bun.sleep(25)
  }
}

/**
 * Watches the daemon of `home` as it is now: `lost` resolves when that process is gone (checked
 * twice a second), so that nothing waits on a dead daemon for PM2's 30 s timeout.
 */
export function watchDaemon(home: string): { lost: Promise<void>, stop: () => void } {
  const pid = readDaemonPid(home)
  const start = pid === undefined ? undefined : startTime(pid)
  let timer: ReturnType<typeof setInterval> | undefined
  const lost = new Promise<void>((resolve) => {
    timer = setInterval(() => {
      if (pid === undefined || !isAlive(pid) || startTime(pid) !== start) {
        clearInterval(timer)
        resolve()
      }
    }, 500)
  })
  return { lost, stop: () => clearInterval(timer) }
}
