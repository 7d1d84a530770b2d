// `logs`: the selected workers' lines from their log files (rotated ones too), then their new lines as they come.

import { readdirSync, readFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { createLogPrinter, useColor } from '../report/log-printer.ts'
import { type LogEntry, type LogQuery, type LogStream, mergeByTime, selectEntries, timeLabel, toEntries, toJsonLine } from '../report/log-query.ts'
import type { Selection } from '../types/config.ts'
import { UnitNames } from '../model/units.ts'
import { latchSignals } from '../os/signals.ts'
import { connectExisting, resolveTarget, targetProcs } from './target.ts'

export interface LogsOptions {
  cwd?: string
  selection: Selection
  query: LogQuery
  follow: boolean
  json: boolean
}

/**
 * `logs`: what the query keeps of each selected unit's stdout and stderr files (oldest rotated
 * file first), merged in the order the lines were written, then — unless `follow` is off — new
 * lines as PM2 forwards them, until a signal.
 */
export async function runLogs({ cwd, selection, query, follow, json }: LogsOptions): Promise<number> {
  const target = await resolveTarget('logs', cwd, selection)
  const client = await connectExisting(target.home)
  const procs = targetProcs(await client.list(), target)
  const names = procs.map(p => p.name)
  // Each replica under its own label (`web#1`): its lines are its own.
  const unitNames = new UnitNames()
  const units = unitNames.learnListing(procs)
  const lists = procs.flatMap((proc, i) => (['out', 'err'] as const).map((stream) => {
    const file = stream === 'out' ? proc.outLog : proc.errLog
    return selectEntries(toEntries(file ? linesOf(file) : [], { worker: proc.name, unit: units[i]!, stream }), query)
  }))
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
  if (!follow) {
    client.disconnect()
    return 0
  }
  const printer = json ? undefined : createLogPrinter({ names: units, color: useColor() })
  const pending = new Map<string, string>()
  const bus = await client.launchBus()
  for (const stream of ['out', 'err'] as const) {
    bus.on(`log:${stream}`, (packet) => {
      if (packet.process.namespace !== target.workspace.namespace || !names.includes(packet.process.name))
        return
      const unit = unitNames.of(packet.process.pm_id, packet.process.name)
      for (const line of completeLines(pending, `${stream}:${unit}`, String(packet.data ?? ''))) {
        const entry: LogEntry = { at: Date.now(), worker: packet.process.name, unit, stream: stream as LogStream, text: line }
        if (query.grep && !query.grep.test(line))
          continue
        if (printer)
          printer.chunk(unit, stream, `${timeLabel(entry.at, entry.at!)} ${line}\n`)
        else
          process.stdout.write(`${toJsonLine(entry)}\n`)
      }
    })
  }
  return latchSignals().next().then(() => 0)
}

/** A log file's lines with its rotated copies' before them, oldest first (`web-out.log.3`, … `.1`, then `web-out.log`). */
function linesOf(file: string): string[] {
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
  return [...rotated.map(n => `${file}.${n}`), file].flatMap((path) => {
    try {
      return readFileSync(path, 'utf8').split('\n')
    }
    catch {
      return []
    }
  })
}

/** The complete lines of a stream's chunks; a partial one waits for its rest. */
function completeLines(pending: Map<string, string>, key: string, data: string): string[] {
  const lines = ((pending.get(key) ?? '') + data).split('\n')
  pending.set(key, lines.pop()!)
  return lines.map(line => line.replace(/\r$/, ''))
}

/** Writes to stdout as fast as it drains: history is never dropped, whatever its size. */
async function writeOut(chunks: string[]): Promise<void> {
  for (const chunk of chunks) {
    if (!process.stdout.write(chunk))
      await new Promise(resolve => process.stdout.once('drain', resolve))
  }
}

