// What a deploy would do, for `start --dry-run`: per worker keep, start, replace (how) or remove,
// and why — the parts of its version that changed, values masked as `explain` masks them. Pure.
import type { DryRunJson } from '../types/json.ts'
import type { ReconcilePlan } from '../supervise/reconcile.ts'
import type { Strategy } from '../supervise/rollout.ts'
import type { PlannedWorker } from '../plan/plan-workers.ts'
import { maskValue } from './plan.ts'

type Row = DryRunJson['workers'][number]

/** The rows of a dry run: one per desired worker, then one per worker that would be removed. */
export function dryRunRows(plan: ReconcilePlan, workers: PlannedWorker[], strategies: ReadonlyMap<string, Strategy>, removedWhy: (name: string) => string): Row[] {
  const byName = new Map(workers.map(w => [w.name, w]))
  const rows: Row[] = plan.workers.map((wp) => {
    const worker = byName.get(wp.name)!
    const replace = wp.units.find(u => u.action === 'replace')
    const strategy = strategies.get(wp.name)
    if (wp.change === 'keep')
      return { name: wp.name, action: 'keep', why: wp.units.every(u => u.action === 'keep' && u.done) ? 'done: exited 0 with this version' : 'runs this version' }
    if (wp.change === 'start')
      return { name: wp.name, action: 'start', why: 'not running' }
    if (wp.change === 'scale')
      return { name: wp.name, action: 'scale', why: `${wp.from} -> ${worker.replicas} replicas; the running ones are kept` }
    if (!replace || replace.action !== 'replace') {
      // Some units down (stopped or errored), the others kept: say which is which.
      const down = wp.units.filter(u => u.action === 'start').map(u => u.unit)
      const kept = wp.units.filter(u => u.action === 'keep').map(u => u.unit)
      const why = kept.length === 0 ? 'not running (stopped or errored): started again' : `${down.join(', ')} not running (stopped or errored): started again; ${kept.join(', ')} kept`
      return { name: wp.name, action: 'replace', why, ...(strategy && { strategy }) }
    }
    const changes = replace.changed?.map(part => describePart(part, worker))
    const why = replace.forced
      ? 'restart asked for'
      : changes === undefined
        ? 'it runs a version started by another bun-pm (or by hand)'
        : changes.length === 0 ? 'its version differs' : changes.join('; ')
    return { name: wp.name, action: 'replace', why, ...(strategy && { strategy }), ...(changes && { changes: replace.changed }) }
  })
  for (const { name } of plan.removed)
    rows.push({ name, action: 'remove', why: removedWhy(name) })
  return rows
}

/** `env.PORT changed (now ***, from .env)`, `max_memory_restart changed (now "1G")`, `env.OLD removed`. */
function describePart(part: string, worker: PlannedWorker): string {
  if (part === 'code') {
    const others = (worker.code?.files.length ?? 1) - 1
    const where = [(worker.interpreter !== 'cmd' && worker.scripts[worker.interpreter]) || worker.script]
    if (others > 0)
      where.push(others === 1 ? 'the file it imports' : `one of the ${others} files it imports`)
    if (worker.code?.lockfile)
      where.push('the lockfile')
    return `its code changed (${where.length > 2 ? `${where.slice(0, -1).join(', ')}, or ${where.at(-1)}` : where.join(' or ')})`
  }
  if (part.startsWith('env.')) {
    const key = part.slice(4)
    const entry = worker.env[key]
    return entry ? `env ${key} changed (now ${maskValue(key, entry.value) || "''"}, from ${entry.source})` : `env ${key} removed`
  }
  const value = (worker.startOptions as unknown as Record<string, unknown>)[part]
  return value === undefined ? `${part} removed` : `${part} changed (now ${JSON.stringify(value)})`
}

/** The rows for people, aligned. */
export function formatDryRun(rows: Row[]): string {
  const width = Math.max(...rows.map(r => r.name.length), 4)
  return rows.map((r) => {
    const how = r.strategy ? (r.strategy.kind === 'surge' ? `, rolling (${r.strategy.why})` : `, stopped first (${r.strategy.why})`) : ''
    return `${r.name.padEnd(width)}  ${r.action}${how}: ${r.why}`
  }).join('\n')
}
