// What monit's header says about the daemon shown (start/source.ts chooses it) and the units. Pure.
import { describeSource, type Source } from '../start/source.ts'
import type { StatusRow } from '../types/json.ts'

export type { Source }

const HEALTH_ORDER = ['ready', 'starting', 'unhealthy', 'crash-looping', 'errored', 'unknown', 'none'] as const

/** The units in a few words: `4 units: 3 ready, 1 crash-looping` (`none` said `not running`); `shown` of them when a filter hides some. */
export function summarize(rows: readonly StatusRow[], shown: number): string {
  const counts = HEALTH_ORDER.map(health => [health, rows.filter(r => r.health === health).length] as const).filter(([, n]) => n > 0)
  const words = counts.map(([health, n]) => `${n} ${health === 'none' ? 'not running' : health}`).join(', ')
  const units = `${rows.length} unit${rows.length === 1 ? '' : 's'}${shown < rows.length ? ` (${shown} shown)` : ''}`
  return words ? `${units}: ${words}` : units
}

/** The header's two lines: what is shown and where it runs; the units in a few words, and the filter. */
export function headerLines({ source, namespace, rows, shown, filter }: { source: Source, namespace: string, rows: readonly StatusRow[], shown: number, filter: string }): [string, string] {
  return [`bun-pm monit · ${namespace} · ${describeSource(source)}`, [summarize(rows, shown), filter && `filter: ${filter}`].filter(Boolean).join(' · ')]
}
