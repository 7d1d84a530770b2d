// Workers' log files: the size budget, the time stamp each line gets, the rotated files' names, and reading a line back. Pure.

/** A worker's log budget, resolved: each file up to `maxBytes`, `keep` rotated files besides the current one; `null`: unbounded. */
export interface LogBudget {
  maxBytes: number
  keep: number
}

/** What `logs` leaves as it is unless the config says otherwise: 10 MB a file, 3 rotated files kept. */
export const LOG_DEFAULTS = { maxSize: '10M', keep: 3 } as const

/** The pm2_env key that carries a unit's budget into the daemon (`<maxBytes>:<keep>`), and a time stamp's choice. */
export const LOG_BUDGET_KEY = 'bun_pm_logs'

/** Written in the PM2 home by a daemon whose writer bounds logs (src/pm2/daemon-logs.ts): its pid. */
export const BOUNDED_LOGS_FILE = 'bun-pm-logs.pid'

const SIZE = /^(\d+(?:\.\d+)?)\s*([KMG]?)B?$/i

/** `'10M'`, `'512K'`, `'1G'` or a number of bytes to bytes; undefined when it is none of those. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isInteger(value) && value > 0 ? value : undefined
  const match = typeof value === 'string' ? SIZE.exec(value.trim()) : null
  if (!match)
    return undefined
  const bytes = Math.round(Number(match[1]) * 1024 ** ' KMG'.indexOf((match[2] || ' ').toUpperCase()))
  return bytes > 0 ? bytes : undefined
}

/** The budget of `options.logs` (false: none); undefined values take LOG_DEFAULTS. */
export function toLogBudget(logs: false | { maxSize?: string | number, keep?: number } | undefined): LogBudget | null {
  if (logs === false)
    return null
  return { maxBytes: parseSize(logs?.maxSize ?? LOG_DEFAULTS.maxSize)!, keep: logs?.keep ?? LOG_DEFAULTS.keep }
}

export function encodeBudget(budget: LogBudget): string {
  return `${budget.maxBytes}:${budget.keep}`
}

export function decodeBudget(value: unknown): LogBudget | undefined {
  const match = typeof value === 'string' ? /^(\d+):(\d+)$/.exec(value) : null
  return match ? { maxBytes: Number(match[1]), keep: Number(match[2]) } : undefined
}

/** A log file's rotated copies, newest first: `web-out.log.1`, `web-out.log.2`, … */
export function rotatedNames(file: string, keep: number): string[] {
  return Array.from({ length: keep }, (_, i) => `${file}.${i + 1}`)
}

/**
 * Each line's time stamp, at its start: the text of one write (a chunk of a worker's output, cut
 * anywhere), with a stamp before each line that begins in it. `midLine`: the last write ended
 * inside a line (its rest gets no second stamp). Returns the text and whether it ends mid-line.
 */
export function stampLines(chunk: string, midLine: boolean, at: number): { text: string, midLine: boolean } {
  if (chunk === '')
    return { text: '', midLine }
  const stamp = `${new Date(at).toISOString()} `
  const parts = chunk.split('\n')
  const last = parts.pop()!
  const text = parts.map((part, i) => (i === 0 && midLine ? part : stamp + part)).join('\n') + (parts.length > 0 ? '\n' : '')
  const rest = last === '' ? '' : (parts.length === 0 && midLine ? last : stamp + last)
  return { text: text + rest, midLine: last !== '' }
}

const STAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /

/** A line of a log file: its time when bun-pm stamped it, and the worker's text. */
export function parseLogLine(line: string): { at?: number, text: string } {
  const match = STAMPED.exec(line)
  return match ? { at: Date.parse(match[1]!), text: line.slice(match[0].length) } : { text: line }
}

/**
 * Where `--since` begins, in ms since the epoch: a length of time back from `now` (`90s`, `10m`,
 * `2h`, `1d`) or a moment (`2026-12-03T10:00`, any form Date.parse reads); undefined when neither.
 */
export function parseSince(value: string, now: number): number | undefined {
  const ago = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim())
  if (ago)
    return now - Number(ago[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 'ms']
  const at = /^\d{4}-\d\d-\d\d/.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN
  return Number.isNaN(at) ? undefined : at
}

/**
 * Where a write of `length` bytes goes when the file holds `size`: all of it here while it fits
 * (or the file is empty); past the budget, a new file — after the line under way is ended here
 * (`firstNewline`: where its end is in the write; -1: it goes on, and so does the file). Whole
 * lines only: `here` bytes to this file, then `rotate`, then the rest to the new one.
 */
export function planWrite({ size, length, firstNewline, midLine }: { size: number, length: number, firstNewline: number, midLine: boolean }, maxBytes: number): { here: number, rotate: boolean } {
  if (size === 0 || size + length <= maxBytes)
    return { here: length, rotate: false }
  if (!midLine)
    return { here: 0, rotate: true }
  return firstNewline >= 0 ? { here: firstNewline + 1, rotate: true } : { here: length, rotate: false }
}

/**
 * Which of a log's rotated copies to read, oldest first: `copies` as found newest first (`.1`,
 * `.2`, … by inode, each once), those older than `newer` (the file now held; all of them when it
 * is not among the copies, being still the current file) and newer than `older` (the file read
 * before; all the rest when it is gone, rotated out, or when there was none).
 */
export function copiesBetween(copies: readonly number[], newer: number | undefined, older: number | undefined): number[] {
  const from = newer === undefined ? -1 : copies.indexOf(newer)
  const to = older === undefined ? -1 : copies.indexOf(older)
  if (to >= 0 && to <= from)
    return []
  return copies.slice(from + 1, to < 0 ? undefined : to).reverse()
}
