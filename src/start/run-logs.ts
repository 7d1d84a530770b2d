// `logs`: the selected workers' lines from their log files (rotated ones too), then their new lines as they come.

import { createLogPrinter, useColor } from '../report/log-printer.ts'
import { type LogQuery, mergeByTime, selectEntries, timeLabel, toEntries, toJsonLine } from '../report/log-query.ts'
import type { Selection } from '../types/config.ts'
import { UnitNames } from '../model/units.ts'
import { latchSignals } from '../os/signals.ts'
import { FileTail } from './file-tail.ts'
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
  const lists = files.map(({ who, tail }) => selectEntries(toEntries([...tail.history(), ...tail.read()], who), query))
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

/** Writes to stdout as fast as it drains: history is never dropped, whatever its size. */
async function writeOut(chunks: string[]): Promise<void> {
  for (const chunk of chunks) {
    if (!process.stdout.write(chunk))
      await new Promise(resolve => process.stdout.once('drain', resolve))
  }
}

