// `logs`: the selected workers' last lines, then their new lines as they come.

import { createLogPrinter, useColor } from '../report/log-printer.ts'
import type { Selection } from '../types/config.ts'
import { UnitNames } from '../model/units.ts'
import { tail } from './failures.ts'
import { latchSignals } from '../os/signals.ts'
import { connectExisting, resolveTarget, targetProcs } from './target.ts'

/** `logs`: the last `lines` lines of each selected worker from PM2's log files, then new lines as they come. */
export async function runLogs({ cwd, selection, lines }: { cwd?: string, selection: Selection, lines: number }): Promise<number> {
  const target = await resolveTarget('logs', cwd, selection)
  const client = await connectExisting(target.home)
  const procs = targetProcs(await client.list(), target)
  const names = procs.map(p => p.name)
  // Each replica under its own label (`web#1`): its lines are its own.
  const unitNames = new UnitNames()
  const units = unitNames.learnListing(procs)
  const printer = createLogPrinter({ names: units, color: useColor() })
  for (const [i, proc] of procs.entries()) {
    const out = tail(proc.outLog, lines)
    const err = tail(proc.errLog, lines)
    if (out.length)
      printer.chunk(units[i]!, 'out', `${out.join('\n')}\n`)
    if (err.length)
      printer.chunk(units[i]!, 'err', `${err.join('\n')}\n`)
  }
  const bus = await client.launchBus()
  for (const stream of ['out', 'err'] as const) {
    bus.on(`log:${stream}`, (packet) => {
      if (packet.process.namespace === target.workspace.namespace && names.includes(packet.process.name))
        printer.chunk(unitNames.of(packet.process.pm_id, packet.process.name), stream, String(packet.data ?? ''))
    })
  }
  return latchSignals().next().then(() => 0)
}
