import { chmodSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive, startTime } from '../os/processes.ts'
import { connectPm2, daemonRunning, type Pm2Client, readDaemonPid } from './client.ts'

/** How long a second client waits for the one that is spawning the daemon. */
const SPAWN_WAIT_MS = 15_000

/**
 * Connects to the daemon of `home`, spawning it (with `envIfSpawned`) when none runs. Two clients
 * that each find no daemon would each spawn one (PM2 has no lock): this takes a lock file in the
 * home first, so the second waits and connects to the first one's daemon. A home it spawns a
 * daemon in is made 0700: PM2 writes workers' output and environments there.
 */
export async function connectOrSpawn(home: string, envIfSpawned: Record<string, string>): Promise<{ client: Pm2Client, spawned: boolean }> {
  if (daemonRunning(home))
    return { client: await connectPm2(home), spawned: false }
  mkdirSync(home, { recursive: true, mode: 0o700 })
  chmodSync(home, 0o700)
  const release = await lock(join(home, 'bun-pm-spawn.lock'))
  try {
    const spawned = !daemonRunning(home)
    return { client: await connectPm2(home, spawned ? envIfSpawned : {}), spawned }
  }
  finally {
    release()
  }
}

async function lock(path: string): Promise<() => void> {
  const deadline = Date.now() + SPAWN_WAIT_MS
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600)
      writeSync(fd, `${process.pid} ${startTime(process.pid) ?? ''}\n`)
      closeSync(fd)
      return () => {
        try {
          unlinkSync(path)
        }
        catch {}
      }
    }
    catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw error
    }
    // A lock whose holder is gone (killed while spawning) is stale.
    const [pid, start] = readLock(path)
    if (pid === undefined || !isAlive(pid) || startTime(pid) !== start || Date.now() > deadline) {
      try {
        unlinkSync(path)
      }
      catch {}
      continue
    }
    await Bun.sleep(25)
  }
}

function readLock(path: string): [number | undefined, string | undefined] {
  try {
    const [pid, start] = readFileSync(path, 'utf8').trim().split(' ')
    return [Number(pid) || undefined, start]
  }
  catch {
    return [undefined, undefined]
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
