// The process table as POSIX `ps` shows it: the `portable` backend (macOS; Linux with
// BUN_PM_OS=portable). Each look runs `ps` (some 20 ms), so the table is kept for a moment;
// whether a process still exists is always asked of the kernel first (kill 0), never of the copy.

import { spawnSync } from 'node:child_process'
import { descendantsInTable, type ProcessInfo, type ProcessTable } from './process-table.ts'
import { environFromPs, lineHoldsEntry, parsePsTable, PS_COLUMNS, type PsRow, runsPerPsStat } from './ps-output.ts'

/**
 * How long one look at the whole table answers for the processes in it: the watchdog looks at its
 * launcher ten times a second and `status` at every worker, and one `ps -A` costs about what
 * `ps -p` does. A pid reused within this time (the counter wrapped in half a second) would pass
 * for the old process. Existence itself is never taken from the kept table (see processes.ts),
 * and a pid it does not hold (a process started since) makes a new look.
 */
const TABLE_KEPT_MS = 500

/** `ps` with the given arguments: its output, or '' when it cannot run. Dates in C's words, in UTC, on every machine. */
function ps(args: string[]): string {
  const result = spawnSync('ps', args, {
    encoding: 'latin1',
    env: { PATH: process.env.PATH || '/bin:/usr/bin', LC_ALL: 'C', TZ: 'UTC' },
    maxBuffer: 64 * 1024 * 1024,
  })
  return typeof result.stdout === 'string' ? result.stdout : ''
}

/** How this platform's ps adds the environment after the command: BSD's `-E` (macOS), procps's `e` (Linux). */
const withEnvironment = () => process.platform === 'darwin' ? ['-E'] : ['e']

let kept: { rows: Map<number, PsRow>, at: number } | undefined

/** The whole table, looked at now. */
function table(): PsRow[] {
  const rows = parsePsTable(ps(['-A', '-ww', '-o', PS_COLUMNS]))
  kept = { rows: new Map(rows.map(r => [r.pid, r])), at: Date.now() }
  return rows
}

/**
 * `pid`'s row, from the kept table while it is fresh and says the process runs. A zombie is always
 * looked at again: a look that lands in a bun --watch reload's execve sees one for an instant, and
 * kept, that instant would pass for the launcher's death on every look (isGoneForSure's second look too).
 */
function row(pid: number): PsRow | undefined {
  const fresh = kept && Date.now() - kept.at < TABLE_KEPT_MS ? kept.rows.get(pid) : undefined
  if (fresh && runsPerPsStat(fresh.stat))
    return fresh
  table()
  return kept?.rows.get(pid)
}

function info(pid: number): ProcessInfo | undefined {
  const r = row(pid)
  return r && { ppid: r.ppid, pgid: r.pgid, start: r.start, runs: runsPerPsStat(r.stat) }
}

/**
 * ps shows the environment a process started with, which never changes after: it is kept by pid
 * and start time (the launcher looks at its watchdog's twice a second), a few hundred at most.
 */
const environs = new Map<string, string[]>()

function environOf(pid: number): string[] {
  const start = row(pid)?.start
  const key = `${pid} ${start}`
  const kept = environs.get(key)
  if (kept)
    return kept
  const command = ps(['-ww', '-p', String(pid), '-o', 'args=']).replace(/\n$/, '')
  if (!command || !start)
    return []
  const environ = environFromPs(ps(['-ww', '-p', String(pid), '-o', 'args=', ...withEnvironment()]).replace(/\n$/, ''), command)
  if (environs.size >= 500)
    environs.clear()
  environs.set(key, environ)
  return environ
}

function pidsWithEnvironment(entries: string[]): number[] {
  return ps(['-A', '-ww', '-o', 'pid=,args=', ...withEnvironment()]).split('\n').flatMap((line) => {
    const m = /^\s*(\d+) (.*)$/.exec(line)
    return m && entries.some(entry => lineHoldsEntry(m[2]!, entry)) ? [Number(m[1])] : []
  })
}

/** From the kept table only: a zombie in it is looked at again (it may be an execve's instant), a process it does not hold is not. */
function runs(pid: number): boolean | undefined {
  const fresh = kept && Date.now() - kept.at < TABLE_KEPT_MS ? kept.rows.get(pid) : undefined
  return fresh && (runsPerPsStat(fresh.stat) || info(pid)?.runs)
}

export const psTable: ProcessTable = {
  allPids: () => table().map(r => r.pid),
  info,
  runs,
  uidOf: pid => row(pid)?.uid,
  cmdlineOf: pid => row(pid)?.command ?? '',
  environOf,
  descendantsOf: roots => descendantsInTable(table(), roots),
  pidsWithEnvironment,
}
