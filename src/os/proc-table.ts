// The process table as Linux's /proc shows it: the `proc` backend (see os/backend.ts).

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { descendantsInTable, type ProcessInfo, type ProcessTable } from './process-table.ts'

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

/** One look at /proc/<pid>/stat; the start time is field 22, clock ticks since boot. */
function info(pid: number): ProcessInfo | undefined {
  const fields = statFields(pid)
  if (!fields || fields[19] === undefined)
    return undefined
  return { ppid: Number(fields[1]), pgid: Number(fields[2]), start: fields[19], runs: runsPerStat(fields) }
}

function allPids(): number[] {
  return readdirSync('/proc').map(Number).filter(pid => Number.isInteger(pid) && pid > 0)
}

function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean)
  }
  catch {
    return []
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim()
  }
  catch {
    return ''
  }
}

function uidOf(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith('Uid:'))
    return line ? Number(line.split(/\s+/)[1]) : undefined
  }
  catch {
    return undefined
  }
}

/** From each process's own list of children (/proc/<pid>/task/<tid>/children), else from one look at the whole table. */
function descendantsOf(roots: number[]): number[] {
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
  return descendantsInTable(allPids().flatMap((pid) => {
    const ppid = info(pid)?.ppid
    return ppid === undefined ? [] : [{ pid, ppid }]
  }), roots)
}

function pidsWithEnvironment(entries: string[]): number[] {
  return allPids().filter((pid) => {
    const environ = environOf(pid)
    return entries.some(entry => environ.includes(entry))
  })
}

export const procTable: ProcessTable = { allPids, info, runs: pid => runsPerStat(statFields(pid)), uidOf, cmdlineOf, environOf, descendantsOf, pidsWithEnvironment }
