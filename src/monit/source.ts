// Which daemon monit shows — `start`'s, or the private one of this workspace's `dev` session —
// and what its header says about it and the units. Pure: the facts come in.
import type { StatusRow } from '../types/json.ts'

export interface SourceFacts {
  root: string
  namespace: string
  /** `--dev`: the dev session, or nothing. */
  forceDev: boolean
  /** The user's PM2 home (`start`'s): whether its daemon runs, and runs processes of this namespace. */
  start: { home: string, running: boolean, runsNamespace: boolean }
  /** This workspace's dev session, when its session file is this user's and its daemon runs. */
  dev: { home: string, launcherPid: number } | undefined
}

export type Source =
  | { kind: 'start', home: string }
  | { kind: 'dev', home: string, launcherPid: number }

/**
 * `start`'s daemon when it runs this workspace's namespace, else the dev session, else `start`'s
 * daemon running other things (every unit `not running`); `--dev` takes the dev session only.
 * An error, in words, when there is nothing to show.
 */
export function chooseSource({ root, forceDev, start, dev }: SourceFacts): Source | { error: string } {
  if (forceDev) {
    return dev
      ? { kind: 'dev', home: dev.home, launcherPid: dev.launcherPid }
      : { error: `--dev: no \`dev\` session of yours runs ${root}; start one with \`bun-pm dev\`, or leave out --dev to watch \`start\`'s daemon` }
  }
  if (start.running && start.runsNamespace)
    return { kind: 'start', home: start.home }
  if (dev)
    return { kind: 'dev', home: dev.home, launcherPid: dev.launcherPid }
  if (start.running)
    return { kind: 'start', home: start.home }
  return { error: `nothing runs ${root}: no PM2 daemon runs for ${start.home} and no \`dev\` session of yours runs here; start it with \`bun-pm start\` or \`bun-pm dev\`` }
}

/** Where the units shown run, for the header: `start's daemon (PM2_HOME=…)` or `dev session (pid …)`. */
export function describeSource(source: Source): string {
  return source.kind === 'start' ? `start's daemon (PM2_HOME=${source.home})` : `dev session (pid ${source.launcherPid}, its own daemon)`
}

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
