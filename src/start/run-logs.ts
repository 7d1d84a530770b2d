// `logs`: the selected workers' lines from their log files (rotated ones too), then their new lines as they come.

import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { createLogPrinter, useColor } from '../report/log-printer.ts'
import { type LogQuery, mergeByTime, selectEntries, timeLabel, toEntries, toJsonLine } from '../report/log-query.ts'
import type { Selection } from '../types/config.ts'
import { UnitNames } from '../model/units.ts'
import { latchSignals } from '../os/signals.ts'
import { connectExisting, resolveTarget, sourceLine, targetProcs } from './target.ts'

export interface LogsOptions {
  cwd?: string
  selection: Selection
  query: LogQuery
  follow: boolean
  json: boolean
  /** `--dev`: the workspace's dev session only. */
  dev: boolean
}

/**
 * `logs`: on the daemon that runs the workspace (`start`'s, else its dev session's), what the
 * query keeps of each selected unit's stdout and stderr files (oldest rotated file first), merged
 * in the order the lines were written, then — unless `follow` is off — new lines as PM2 forwards
 * them, until a signal.
 */
export async function runLogs({ cwd, selection, query, follow, json, dev }: LogsOptions): Promise<number> {
  const target = await resolveTarget('logs', cwd, selection, { forceDev: dev, ifNone: 'error' })
  const client = await connectExisting(target, 'logs')
  // Which daemon's workers these are, on stderr: the lines on stdout stay the workers' own.
  if (!json)
    console.error(`logs of ${sourceLine(target)}`)
  const procs = targetProcs(await client.list(), target)
  // Each replica under its own label (`web#1`): its lines are its own.
  const unitNames = new UnitNames()
  const units = unitNames.learnListing(procs)
  // Each file is opened once: what it holds now is the history, what it gains from here the
  // followed lines (so none is missed or shown twice between the two), across its rotations.
  const files = procs.flatMap((proc, i) => (['out', 'err'] as const).flatMap((stream) => {
    const file = stream === 'out' ? proc.outLog : proc.errLog
    return file ? [{ who: { worker: proc.name, unit: units[i]!, stream }, tail: new FileTail(file) }] : []
  }))
  const lists = files.map(({ who, tail }) => selectEntries(toEntries([...rotatedLinesOf(tail.path), ...tail.read()], who), query))
  const history = mergeByTime(lists)
  const now = Date.now()
  if (json) {
    await writeOut(history.map(e => `${toJsonLine(e)}\n`))
  }
  else {
    const text: string[] = []
    const printer = createLogPrinter({ names: units, color: useColor(), write: chunk => void text.push(chunk) })
    for (const e of history)
      printer.chunk(e.unit, e.stream, `${e.at === undefined ? '' : `${timeLabel(e.at, now)} `}${e.text}\n`)
    await writeOut(text)
  }
  client.disconnect()
  if (!follow) {
    files.forEach(f => f.tail.close())
    return 0
  }
  const printer = json ? undefined : createLogPrinter({ names: units, color: useColor() })
  const poll = setInterval(() => {
    for (const { who, tail } of files) {
      for (const entry of toEntries(tail.read(), who)) {
        if (query.grep && !query.grep.test(entry.text))
          continue
        if (printer)
          printer.chunk(entry.unit, entry.stream, `${entry.at === undefined ? '' : `${timeLabel(entry.at, Date.now())} `}${entry.text}\n`)
        else
          process.stdout.write(`${toJsonLine(entry)}\n`)
      }
    }
  }, FOLLOW_EVERY_MS)
  return latchSignals().next().then(() => {
    clearInterval(poll)
    return 0
  })
}

/** How often a followed file is looked at. */
const FOLLOW_EVERY_MS = 50

/**
 * A log file read as it grows, as `tail -F` does: `read()` gives the complete lines written since
 * the last call (a partial one waits); when the file is rotated (a new file at the path), the
 * rest of the old one is read first, then the new one from its start.
 */
class FileTail {
  private fd = -1
  private ino = 0
  private offset = 0
  private partial = ''
  constructor(readonly path: string) {
    this.open()
  }

  private open(): void {
    try {
      this.fd = openSync(this.path, 'r')
      this.ino = fstatSync(this.fd).ino
      this.offset = 0
    }
    catch {
      this.fd = -1
    }
  }

  read(): string[] {
    let text = this.drain()
    let now: number | undefined
    try {
      now = statSync(this.path).ino
    }
    catch {}
    if (now !== undefined && (this.fd < 0 || now !== this.ino)) {
      // Rotated (maybe more than once since the last look): the files between the one we held
      // (now `.k`, or gone) and the new one, oldest first, then the new one.
      if (this.fd >= 0)
        text += this.newerRotated().map(path => readOr(path)).join('')
      this.close()
      this.open()
      text += this.drain()
    }
    const lines = (this.partial + text).split('\n')
    this.partial = lines.pop()!
    return lines
  }

  /** The rotated copies newer than the file held (`.k-1` … `.1`, where it is `.k` now; all of them when it is gone). */
  private newerRotated(): string[] {
    const rotated: string[] = []
    for (let k = 1; ; k++) {
      const path = `${this.path}.${k}`
      let ino: number
      try {
        ino = statSync(path).ino
      }
      catch {
        break
      }
      if (ino === this.ino)
        break
      rotated.push(path)
    }
    return rotated.reverse()
  }

  private drain(): string {
    if (this.fd < 0)
      return ''
    const size = fstatSync(this.fd).size
    // Truncated under us (pm2 flush): from its start again.
    if (size < this.offset)
      this.offset = 0
    if (size === this.offset)
      return ''
    const buffer = Buffer.alloc(size - this.offset)
    const read = readSync(this.fd, buffer, 0, buffer.length, this.offset)
    this.offset += read
    return buffer.subarray(0, read).toString('utf8')
  }

  close(): void {
    if (this.fd >= 0)
      closeSync(this.fd)
    this.fd = -1
  }
}

/** The lines of a log file's rotated copies, oldest first (`web-out.log.3`, … `.1`); the current file is the tail's. */
function rotatedLinesOf(file: string): string[] {
  let names: string[] = []
  try {
    names = readdirSync(dirname(file))
  }
  catch {}
  const base = basename(file)
  const rotated = names.flatMap((name) => {
    const n = name.startsWith(`${base}.`) ? Number(name.slice(base.length + 1)) : Number.NaN
    return Number.isInteger(n) && n > 0 ? [n] : []
  }).sort((a, b) => b - a)
  return rotated.map(n => `${file}.${n}`).flatMap((path) => {
    try {
      return readFileSync(path, 'utf8').split('\n')
    }
    catch {
      return []
    }
  })
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  }
  catch {
    return ''
  }
}

/** Writes to stdout as fast as it drains: history is never dropped, whatever its size. */
async function writeOut(chunks: string[]): Promise<void> {
  for (const chunk of chunks) {
    if (!process.stdout.write(chunk))
      await new Promise(resolve => process.stdout.once('drain', resolve))
  }
}

