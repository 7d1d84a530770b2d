// Workers' output, prefixed and colored per unit, bounded when the terminal cannot keep up (the
// full log is kept on disk).

import type { DevEventJson, LogLineJson } from '../types/json.ts'
import { workerOf } from '../model/units.ts'

export type Stream = 'out' | 'err'

/** What a launcher line is about, for `--json` (the text output prints its message alone, and `lastLines` indented below it). */
export type LauncherEvent = Omit<DevEventJson, 'time' | 'text'>

export interface LogPrinter {
  /** A chunk of a worker's output, as PM2 forwards it: complete lines are printed, a partial one waits. */
  chunk: (name: string, stream: Stream, data: string) => void
  /** Prints what is left of a worker's partial lines (its process ended, or it went quiet). */
  flush: (name: string) => void
  /** A line from the launcher itself; `event` says what it is about, for `--json`. */
  info: (message: string, event?: LauncherEvent) => void
  /** The worker's last lines of output, newest last. */
  lastLines: (name: string) => string[]
}

const LAUNCHER = 'bun-pm'
const PALETTE = [36, 35, 33, 34, 32, 96, 95, 93, 94, 92]
const PARTIAL_LINE_WAIT_MS = 100
const KEPT_LINES = 10

/** Colors for a stream: off with NO_COLOR, on with FORCE_COLOR, else when it is a terminal. */
export function useColor(stream: { isTTY?: boolean } = process.stdout): boolean {
  if (process.env.NO_COLOR)
    return false
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0')
    return true
  return stream.isTTY === true
}

/**
 * Prefixes each line of each worker with its name, aligned and in its own color; stderr lines are
 * marked with `!` instead of `|`. Lines are written whole, so two workers never interleave within
 * a line.
 */
export function createLogPrinter({ names, color, write = boundedStdout(), logDir, json = false }: {
  names: string[]
  color: boolean
  /** One JSON object a line instead (`dev --json`): `LogLineJson` for the workers', `DevEventJson` for the launcher's. */
  json?: boolean
  /** Writes a chunk of text; false when it was dropped because the terminal is too far behind. `force`: never drop it. */
  write?: (text: string, force?: boolean) => boolean | void
  /** Where PM2 keeps each worker's full output (`<name>-out.log`), for the dropped-lines notice. */
  logDir?: string
}): LogPrinter {
  const width = Math.max(LAUNCHER.length, ...names.map(n => n.length))
  const colors = new Map(names.map((name, i) => [name, PALETTE[i % PALETTE.length]!]))
  const paint = (code: number, text: string) => color ? `\x1B[${code}m${text}\x1B[0m` : text
  const partial = new Map<string, { text: string, timer: ReturnType<typeof setTimeout> }>()
  const recent = new Map<string, string[]>()

  const launcher = (message: string, event: LauncherEvent = { event: 'message' }) => json
    ? `${JSON.stringify({ time: new Date().toISOString(), ...event, text: message } satisfies DevEventJson)}\n`
    : [message, ...(event.lastLines ?? []).map(last => `  ${last}`)].map(text => `${paint(1, LAUNCHER.padEnd(width))} ${paint(2, '|')} ${text}\n`).join('')
  const line = (name: string, stream: Stream, text: string) => json
    ? `${JSON.stringify({ time: new Date().toISOString(), worker: workerOf(name), unit: name, stream, text } satisfies LogLineJson)}\n`
    : `${prefix(name, stream)}${text}\n`
  const prefix = (name: string, stream: Stream) => {
    const label = paint(colors.get(name) ?? 37, name.padEnd(width))
    return `${label} ${stream === 'err' ? paint(31, '!') : paint(2, '|')} `
  }
  const dropped = new Map<string, number>()
  const emit = (name: string, stream: Stream, lines: string[]) => {
    if (lines.length === 0)
      return
    // Once the terminal keeps up again, say what it missed and where all of it is.
    if (dropped.size > 0 && write('') !== false) {
      const counts = [...dropped].map(([worker, count]) => `${count} of ${worker}`).join(', ')
      dropped.clear()
      write(launcher(`the terminal fell behind: dropped ${counts} lines${logDir ? `; they are in ${logDir} (within each worker's log budget)` : ''}`), true)
    }
    if (write(lines.map(text => line(name, stream, text)).join('')) === false)
      dropped.set(name, (dropped.get(name) ?? 0) + lines.length)
    const kept = recent.get(name) ?? []
    kept.push(...lines)
    recent.set(name, kept.slice(-KEPT_LINES))
  }
  const flushKey = (key: string) => {
    const pending = partial.get(key)
    if (!pending)
      return
    clearTimeout(pending.timer)
    partial.delete(key)
    const [name, stream] = splitKey(key)
    emit(name, stream, [pending.text])
  }

  return {
    chunk(name, stream, data) {
      const key = `${stream}:${name}`
      const pending = partial.get(key)
      if (pending)
        clearTimeout(pending.timer)
      const lines = ((pending?.text ?? '') + data).split('\n')
      const rest = lines.pop()!
      emit(name, stream, lines.map(line => line.replace(/\r$/, '')))
      if (rest)
        partial.set(key, { text: rest, timer: setTimeout(() => flushKey(key), PARTIAL_LINE_WAIT_MS) })
      else
        partial.delete(key)
    },
    flush(name) {
      flushKey(`out:${name}`)
      flushKey(`err:${name}`)
    },
    info(message, event) {
      write(launcher(message, event), true)
    },
    lastLines: name => recent.get(name) ?? [],
  }
}

/** How much output may wait for a slow terminal before lines are dropped (memory stays bounded). */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024

/**
 * process.stdout, bounded: writes it could not pass on at once are counted until the stream says
 * they drained; past MAX_BACKLOG_BYTES a write is dropped (returns false) instead of buffered.
 * `write('')` asks whether there is room again.
 */
export function boundedStdout(stream: NodeJS.WriteStream = process.stdout, limit = MAX_BACKLOG_BYTES): (text: string, force?: boolean) => boolean {
  const waiting: number[] = []
  let backlog = 0
  stream.on('drain', () => {
    backlog -= waiting.shift() ?? backlog
    if (waiting.length === 0)
      backlog = 0
  })
  return (text, force = false) => {
    if (backlog > limit && !force)
      return false
    if (text === '')
      return true
    if (!stream.write(text)) {
      waiting.push(text.length)
      backlog += text.length
    }
    return true
  }
}

function splitKey(key: string): [string, Stream] {
  const colon = key.indexOf(':')
  return [key.slice(colon + 1), key.slice(0, colon) as Stream]
}
