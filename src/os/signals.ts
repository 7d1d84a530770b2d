// Signals to processes and from the terminal: a process group ended, a wait for exits, and the
// signals a command acts on, kept from the moment it starts.

import { isAlive } from './processes.ts'

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
