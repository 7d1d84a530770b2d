// What an apply changed, in words: start's first line, dev's summary, and the one line per
// worker whose new version did not take. Pure.
import type { Strategy } from '../supervise/rollout.ts'
import type { WorkerOutcome } from '../supervise/apply.ts'

/** What an apply did, by worker. */
export interface Changes {
  started: string[]
  /** Replaced by a new version (or `restart`), and how. */
  replaced: { name: string, strategy?: Strategy }[]
  kept: string[]
  removed: string[]
  /** Replicated workers whose count alone changed: only the difference was started or removed. */
  scaled: { name: string, from: number, to: number }[]
  /** Meant to start, but not started: a dependency did not become ready. */
  notStarted: string[]
  /** Meant to be replaced, but the new version did not become ready: the old one still runs (or was started again). */
  rolledBack: string[]
}

/** The changes of an apply, from its outcomes: a worker blocked by a dependency is "not started", never "started". */
export function toChanges(outcomes: Iterable<WorkerOutcome>, removed: string[], blocked: ReadonlySet<string>): Changes {
  const changes: Changes = { started: [], replaced: [], kept: [], removed, scaled: [], notStarted: [], rolledBack: [] }
  for (const outcome of outcomes) {
    if (blocked.has(outcome.name) && outcome.change !== 'keep')
      changes.notStarted.push(outcome.name)
    else if (outcome.rollback)
      changes.rolledBack.push(outcome.name)
    else if (outcome.change === 'start')
      changes.started.push(outcome.name)
    else if (outcome.change === 'replace')
      changes.replaced.push({ name: outcome.name, strategy: outcome.strategy })
    else if (outcome.change === 'scale')
      changes.scaled.push({ name: outcome.name, from: outcome.from, to: outcome.to })
    else
      changes.kept.push(outcome.name)
  }
  return changes
}

/** How a worker was replaced, in a few words. */
export function describeStrategy(strategy: Strategy | undefined): string {
  if (!strategy)
    return 'config changed or not running'
  return strategy.kind === 'surge' ? `rolling, ${strategy.why}` : `stopped, then started: ${strategy.why}`
}

/** start's words: `started a, b; restarted c (rolling, …); not started d (a dependency is not ready)`. */
export function describeChanges(changes: Changes): string {
  // Workers replaced the same way are said together.
  const byWay = new Map<string, string[]>()
  for (const { name, strategy } of changes.replaced)
    byWay.set(describeStrategy(strategy), [...byWay.get(describeStrategy(strategy)) ?? [], name])
  const parts = [
    changes.started.length && `started ${changes.started.join(', ')}`,
    ...[...byWay].map(([way, names]) => `restarted ${names.join(', ')} (${way})`),
    changes.removed.length && `removed ${changes.removed.join(', ')} (no longer in the config or deactivated)`,
    changes.scaled.length && `scaled ${changes.scaled.map(({ name, from, to }) => `${name} from ${from} to ${to} replicas`).join(', ')}`,
    changes.kept.length && `unchanged ${changes.kept.join(', ')}`,
    changes.rolledBack.length && `kept the running version of ${changes.rolledBack.join(', ')} (the new one failed)`,
    changes.notStarted.length && `not started ${changes.notStarted.join(', ')} (a dependency is not ready)`,
  ].filter(Boolean)
  return parts.length > 0 ? parts.join('; ') : 'nothing to do'
}

/** dev's counts: `2 started, 1 restarted, 3 unchanged`. */
export function countChanges(changes: Changes): string {
  return [
    changes.started.length && `${changes.started.length} started`,
    changes.replaced.length && `${changes.replaced.length} restarted`,
    changes.removed.length && `${changes.removed.length} stopped`,
    changes.scaled.length && changes.scaled.map(({ name, from, to }) => `${name} scaled from ${from} to ${to}`).join(', '),
    changes.kept.length && `${changes.kept.length} unchanged`,
    changes.rolledBack.length && `${changes.rolledBack.length} kept as they ran`,
    changes.notStarted.length && `${changes.notStarted.length} not started`,
  ].filter(Boolean).join(', ')
}

/**
 * The one line of a replacement that did not take: `web: kept the running version; the new one
 * failed: GET /health -> 500`. `reason` says the new one's failure.
 */
export function describeRollback(name: string, kept: 'running' | 'restored' | 'none', reason: string): string {
  const what = kept === 'running' ? 'kept the running version' : kept === 'restored' ? 'started the version that ran again' : 'nothing of it runs'
  return `${name}: ${what}; the new one failed: ${reason}`
}
