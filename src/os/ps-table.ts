// The process table as POSIX `ps` shows it: the `portable` backend (macOS; Linux with
// BUN_PM_OS=portable). Each look runs `ps` (some 20 ms), so one process's row is kept for a
// moment; whether it still exists is always asked of the kernel first (kill 0), never of the copy.

import { spawnSync } from 'node:child_process'
import { descendantsInTable, type ProcessInfo, type ProcessTable } from './process-table.ts'
import { environFromPs, lineHoldsEntry, parsePsTable, PS_COLUMNS, type PsRow, runsPerPsStat } from './ps-output.ts'

/**
 * How long a row read from `ps` answers for its pid: the watchdog looks at its launcher ten times
 * a second, and a pid reused within this time (the counter wrapped in half a second) would pass
 * for the old process. Existence itself is never taken from a kept row.
 */
const ROW_KEPT_MS = 500

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

const rows = new Map<number, { row: PsRow, at: number }>()

function keep(found: PsRow[]): PsRow[] {
  const at = Date.now()
  for (const row of found)
    rows.set(row.pid, { row, at })
  return found
}

function table(): PsRow[] {
  return keep(parsePsTable(ps(['-A', '-ww', '-o', PS_COLUMNS])))
}

function row(pid: number): PsRow | undefined {
  const kept = rows.get(pid)
  if (kept && Date.now() - kept.at < ROW_KEPT_MS)
    return kept.row
  rows.delete(pid)
  return keep(parsePsTable(ps(['-ww', '-p', String(pid), '-o', PS_COLUMNS]))).find(r => r.pid === pid)
}

function info(pid: number): ProcessInfo | undefined {
  const r = row(pid)
  return r && { ppid: r.ppid, pgid: r.pgid, start: r.start, runs: runsPerPsStat(r.stat) }
}

function environOf(pid: number): string[] {
  const command = ps(['-ww', '-p', String(pid), '-o', 'args=']).replace(/\n$/, '')
  if (!command)
    return []
  return environFromPs(ps(['-ww', '-p', String(pid), '-o', 'args=', ...withEnvironment()]).replace(/\n$/, ''), command)
}

function pidsWithEnvironment(entries: string[]): number[] {
  return ps(['-A', '-ww', '-o', 'pid=,args=', ...withEnvironment()]).split('\n').flatMap((line) => {
    const m = /^\s*(\d+) (.*)$/.exec(line)
    return m && entries.some(entry => lineHoldsEntry(m[2]!, entry)) ? [Number(m[1])] : []
  })
}

export const psTable: ProcessTable = {
  allPids: () => table().map(r => r.pid),
  info,
  uidOf: pid => row(pid)?.uid,
  cmdlineOf: pid => row(pid)?.command ?? '',
  environOf,
  descendantsOf: roots => descendantsInTable(table(), roots),
  pidsWithEnvironment,
}
