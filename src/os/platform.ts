// Where bun-pm runs: it reads processes through /proc, so Linux, said in one line elsewhere.
import { WorkspaceError } from '../errors.ts'

/** Platforms whose process table bun-pm can read (it finds, times and sweeps processes through /proc). */
export function platformSupported(): boolean {
  return process.platform === 'linux'
}

/**
 * Refuses, in one line and before anything is done, a command that would read processes on a
 * platform without /proc: there pids, start times and daemons cannot be told apart, and a wrong
 * guess would stop a daemon bun-pm did not start.
 */
export function requireSupportedPlatform(command: string): void {
  if (!platformSupported())
    throw new WorkspaceError(`\`${command}\` needs Linux (bun-pm finds, times and stops processes through /proc); this is ${process.platform}: run it in a Linux container or VM (\`explain\` works anywhere)`)
}
