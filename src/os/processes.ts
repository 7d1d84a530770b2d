// Processes: alive or not, started when, by whom, under which parent and group; read through
// /proc on Linux, through `ps` on macOS (os/backend.ts chooses, os/process-table.ts says what).

import { osBackend } from './backend.ts'
import { procTable } from './proc-table.ts'
import type { ProcessTable } from './process-table.ts'
import { psTable } from './ps-table.ts'

export { runsPerStat } from './proc-table.ts'

/** A process known by pid and start time, so that a recycled pid is never signalled. */
export interface KnownProcess {
  pid: number
  start: string
}

/** The process table of this platform (or the one BUN_PM_OS forces). */
function table(): ProcessTable {
  return osBackend() === 'portable' ? psTable : procTable
}

/** Whether `pid` exists for the kernel: signal 0 reaches it, or it exists but is another user's. */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  }
  catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * True while `pid` exists (a zombie counts as gone; see runsPerStat). With `ps` (macOS) a zombie is
 * seen only when the table was looked at in the last half second: isAlive is asked in loops (every
 * health check, every wait for an exit), and a zombie there is rare (launchd reaps at once).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  }
  catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return table().runs(pid) ?? true
}

/**
 * When `pid` started (on Linux in clock ticks since boot, elsewhere ps's start time to the second):
 * with the pid, it names one process for good, so a recycled pid is never mistaken for the one we started.
 */
export function startTime(pid: number): string | undefined {
  return table().info(pid)?.start
}

/** Every pid on the machine. */
export function allPids(): number[] {
  return table().allPids()
}

/** The `KEY=value` entries of a process's environment (empty when it cannot be read: gone, or another user's). */
export function environOf(pid: number): string[] {
  return table().environOf(pid)
}

/** The processes whose environment holds one of `entries` (`KEY=value`): one look at the whole table. */
export function pidsWithEnvironment(entries: string[]): number[] {
  return table().pidsWithEnvironment(entries)
}

/** A process's command line, its arguments joined by spaces ('' when it cannot be read). */
export function cmdlineOf(pid: number): string {
  return table().cmdlineOf(pid)
}

/** The program a process runs, short: `redis-server`, `bun workers/api.ts`. */
export function shortCommandOf(pid: number): string {
  const words = cmdlineOf(pid).split(' ').filter(Boolean)
  return words.slice(0, 2).map(word => word.slice(word.lastIndexOf('/') + 1)).join(' ')
}

/** The real uid a process runs as, if it can be read. */
export function uidOf(pid: number): number | undefined {
  return table().uidOf(pid)
}

/** The parent pid of `pid`. */
export function parentOf(pid: number): number | undefined {
  return table().info(pid)?.ppid
}

/** Every descendant of `roots` (children, their children, ...). */
export function descendantsOf(roots: number[]): number[] {
  return table().descendantsOf(roots)
}

/** `pids` as known processes (pid and start time), leaving out those already gone. */
export function known(pids: number[]): KnownProcess[] {
  return pids.flatMap((pid) => {
    const start = startTime(pid)
    return start ? [{ pid, start }] : []
  })
}

/** True while `p` is still the very process it names (not a recycled pid). */
export function stillRunning(p: KnownProcess): boolean {
  return isSameProcess(p.pid, p.start)
}

/**
 * True while `pid` is still the process that started at `start`, from one look at it (two looks
 * could straddle a change). A pid that exists but cannot be read at that instant (a thread of it
 * in the middle of execve: bun --watch reloading) is taken as the same process: the next look
 * tells, and a live session is never swept on a guess.
 */
export function isSameProcess(pid: number | undefined, start: string | undefined): boolean {
  if (pid === undefined || start === undefined || !exists(pid))
    return false
  const found = table().info(pid)
  return found === undefined || (found.runs && found.start === start)
}

/** How long after a first "gone" a second look confirms it: a reload's execve takes far less. */
export const CONFIRM_GONE_MS = 30

/**
 * True when `pid` is no longer the process that started at `start`, by two looks
 * CONFIRM_GONE_MS apart: under load one look can land in the instant a thread of the process
 * takes its pid over in execve (bun --watch reloading), and a live session must never be swept
 * on that.
 */
export async function isGoneForSure(pid: number, start: string): Promise<boolean> {
  if (isSameProcess(pid, start))
    return false
  await Bun.sleep(CONFIRM_GONE_MS)
  return !isSameProcess(pid, start)
}

/** The process group of `pid`. */
export function groupOf(pid: number): number | undefined {
  return table().info(pid)?.pgid
}
