// Which logged lines `logs` shows (--since, --grep, --lines), in what order, and as what (text or one JSON object a line). Pure.

import type { LogLineJson } from '../types/json.ts'
import { parseLogLine } from '../model/log-lines.ts'

export type LogStream = 'out' | 'err'

/** One line a worker wrote: when (if its file says), whose, on which stream. */
export interface LogEntry {
  at?: number
  worker: string
  unit: string
  stream: LogStream
  text: string
}

export interface LogQuery {
  /** Lines written at or after this moment (ms since the epoch) only; a line without a time is left out. */
  since?: number
  grep?: RegExp
  /** The last this many of each unit's stream (after since and grep). */
  lines: number
}

/** The lines of a unit's stream, oldest first (its rotated files, then the current one), as entries. */
export function toEntries(lines: string[], who: { worker: string, unit: string, stream: LogStream }): LogEntry[] {
  return lines.filter(line => line !== '').map((line) => {
    const { at, text } = parseLogLine(line)
    return { ...who, ...(at !== undefined && { at }), text }
  })
}

/** What the query keeps of one unit's stream (oldest first): since, then grep, then the last `lines`. */
export function selectEntries(entries: LogEntry[], { since, grep, lines }: LogQuery): LogEntry[] {
  const kept = entries.filter(e => (since === undefined || (e.at !== undefined && e.at >= since)) && (!grep || grep.test(e.text)))
  return lines === 0 ? [] : kept.slice(-lines)
}

/**
 * Several streams' lines as one, in the order they were written where their times say it (a
 * stable merge: lines of one stream keep their order, a line without a time stays after the line
 * before it in its own stream).
 */
export function mergeByTime(lists: LogEntry[][]): LogEntry[] {
  const heads = lists.map(() => 0)
  const merged: LogEntry[] = []
  const known = lists.map(list => list.map(e => e.at))
  // The time a line sorts by: its own, else the last one before it in its stream.
  const sortAt = (i: number, j: number) => {
    for (let k = j; k >= 0; k--) {
      if (known[i]![k] !== undefined)
        return known[i]![k]!
    }
    return -Infinity
  }
  for (;;) {
    let best = -1
    for (let i = 0; i < lists.length; i++) {
      if (heads[i]! < lists[i]!.length && (best === -1 || sortAt(i, heads[i]!) < sortAt(best, heads[best]!)))
        best = i
    }
    if (best === -1)
      return merged
    merged.push(lists[best]![heads[best]!]!)
    heads[best]!++
  }
}

/** `--json`: one object a line, for scripts. */
export function toJsonLine(entry: LogEntry): string {
  return JSON.stringify({ time: entry.at === undefined ? null : new Date(entry.at).toISOString(), worker: entry.worker, unit: entry.unit, stream: entry.stream, text: entry.text } satisfies LogLineJson)
}

/** A line's time for people: the local time of day, with the date when it is not `now`'s day. */
export function timeLabel(at: number | undefined, now: number): string {
  if (at === undefined)
    return ''
  const date = new Date(at)
  const pad = (n: number, width = 2) => String(n).padStart(width, '0')
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  const sameDay = new Date(now).toDateString() === date.toDateString()
  return sameDay ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`
}

/**
 * `--grep`'s pattern as a regular expression, or the error to print: `/…/i` for flags, else the
 * text as a pattern (case-sensitive).
 */
export function parseGrep(pattern: string): RegExp | string {
  const flagged = /^\/(.*)\/([a-z]*)$/.exec(pattern)
  try {
    return flagged ? new RegExp(flagged[1]!, flagged[2]) : new RegExp(pattern)
  }
  catch (error) {
    return `--grep=${pattern} is not a regular expression (${(error as Error).message}); escape what should match as it is, e.g. --grep='GET /api\\?id'`
  }
}
