import { readFileSync } from 'node:fs'

/** True while `pid` exists (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  }
  catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return processState(pid) !== 'Z'
}

/**
 * When `pid` started, in clock ticks since boot (/proc/<pid>/stat field 22): with the pid, it names
 * one process for good, so a recycled pid is never mistaken for the one we started.
 */
export function startTime(pid: number): string | undefined {
  return statFields(pid)?.[19]
}

/** Sends `signal` to the process group led by `pid` (a PM2 worker is spawned detached, so it leads one). */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  }
  catch {
    try {
      process.kill(pid, signal)
      return true
    }
    catch {
      return false
    }
  }
}

/** Resolves once none of `pids` is alive, or after `timeoutMs`; returns the ones still alive. */
export async function waitForExit(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let alive = pids.filter(isAlive)
  while (alive.length > 0 && Date.now() < deadline) {
    await Bun.sleep(20)
    alive = alive.filter(isAlive)
  }
  return alive
}

function processState(pid: number): string | undefined {
  return statFields(pid)?.[0]
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  }
  catch {
    return undefined
  }
}
