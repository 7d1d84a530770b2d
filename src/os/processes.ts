// Processes as /proc shows them: alive or not, started when, by whom, under which parent and group.

import { existsSync, readdirSync, readFileSync } from 'node:fs'

/** A process known by pid and start time, so that a recycled pid is never signalled. */
export interface KnownProcess {
  pid: number
  start: string
}

/** True while `pid` exists (a zombie counts as gone; see runsPerStat). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  }
  catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  return runsPerStat(statFields(pid))
}

/**
 * Whether a process runs, from the fields of its /proc/<pid>/stat after the name (undefined: it
 * could not be read, so nothing says it ended). A zombie has ended, unless other threads of its
 * group still run: a thread other than the main one that calls execve (bun --watch reloads the
 * launcher from its file-watcher thread) first lets the main thread exit and then takes over its
 * pid and start time, and for that moment the pid shows a zombie with 2 threads. Taken for the
 * launcher's death, that moment made the watchdog sweep a session that was only reloading.
 */
export function runsPerStat(fields: string[] | undefined): boolean {
  if (fields?.[0] !== 'Z')
    return true
  // Field 20 of the stat line, num_threads: the zombie main thread counts itself.
  return Number(fields[17]) > 1
}

/**
 * When `pid` started, in clock ticks since boot (/proc/<pid>/stat field 22): with the pid, it names
 * one process for good, so a recycled pid is never mistaken for the one we started.
 */
export function startTime(pid: number): string | undefined {
  return statFields(pid)?.[19]
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

/** Every pid on the machine. */
export function allPids(): number[] {
  return readdirSync('/proc').map(Number).filter(pid => Number.isInteger(pid) && pid > 0)
}

/** The `KEY=value` entries of a process's environment (empty when it cannot be read: gone, or another user's). */
export function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean)
  }
  catch {
    return []
  }
}

/** A process's command line, its arguments joined by spaces ('' when it cannot be read). */
export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim()
  }
  catch {
    return ''
  }
}

/** The real uid a process runs as, if it can be read. */
export function uidOf(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith('Uid:'))
    return line ? Number(line.split(/\s+/)[1]) : undefined
  }
  catch {
    return undefined
  }
}

/** The parent pid of `pid`. */
export function parentOf(pid: number): number | undefined {
  const ppid = statFields(pid)?.[1]
  return ppid === undefined ? undefined : Number(ppid)
}


/**
 * Every descendant of `roots` (children, their children, ...): from each process's own list of
 * children (/proc/<pid>/task/<tid>/children), else from one look at the whole process table.
 */
export function descendantsOf(roots: number[]): number[] {
  const found: number[] = []
  const queue = [...roots]
  while (queue.length > 0) {
    const children = childrenOf(queue.shift()!)
    if (children === undefined)
      return descendantsByTable(roots)
    for (const child of children) {
      if (!found.includes(child) && !roots.includes(child)) {
        found.push(child)
        queue.push(child)
      }
    }
  }
  return found
}

/** The children of `pid`, from its threads' lists; [] when it is gone, undefined when the kernel keeps no such list. */
function childrenOf(pid: number): number[] | undefined {
  let tasks: string[]
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  }
  catch {
    return []
  }
  const children: number[] = []
  for (const task of tasks) {
    try {
      children.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number))
    }
    catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync(`/proc/${pid}/task/${task}`))
        return undefined
    }
  }
  return children
}

function descendantsByTable(roots: number[]): number[] {
  const children = new Map<number, number[]>()
  for (const pid of allPids()) {
    const parent = parentOf(pid)
    if (parent !== undefined)
      (children.get(parent) ?? children.set(parent, []).get(parent)!).push(pid)
  }
  const found: number[] = []
  const queue = [...roots]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (!found.includes(child) && !roots.includes(child)) {
        found.push(child)
        queue.push(child)
      }
    }
  }
  return found
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
 * True while `pid` is still the process that started at `start`, from one look at its stat line
 * (two looks could straddle a change). A pid that exists but whose line cannot be read at that
 * instant (a thread of it in the middle of execve: bun --watch reloading) is taken as the same
 * process: the next look tells, and a live session is never swept on a guess.
 */
export function isSameProcess(pid: number | undefined, start: string | undefined): boolean {
  if (pid === undefined || start === undefined)
    return false
  try {
    process.kill(pid, 0)
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM')
      return false
  }
  const fields = statFields(pid)
  return fields === undefined || (runsPerStat(fields) && fields[19] === start)
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
  const pgrp = statFields(pid)?.[2]
  return pgrp === undefined ? undefined : Number(pgrp)
}
