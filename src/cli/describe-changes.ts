// What an apply changed, in words: start's first line and dev's summary. Pure.
import type { ReconcileResult } from '../pm2/reconcile.ts'

/** What an apply did, with the workers it meant to start but did not (a dependency was not ready) taken out. */
export interface Changes extends ReconcileResult {
  notStarted: string[]
}

/** `result` less the workers in `blocked`: they were to start, and did not. */
export function withoutBlocked(result: ReconcileResult, blocked: ReadonlySet<string>): Changes {
  const ran = (names: string[]) => names.filter(name => !blocked.has(name))
  return { ...result, started: ran(result.started), replaced: ran(result.replaced), notStarted: [...result.started, ...result.replaced].filter(name => blocked.has(name)) }
}

/** start's words: `started a, b; restarted c (…); not started d (a dependency is not ready)`. */
export function describeChanges(changes: Changes): string {
  const parts = [
    changes.started.length && `started ${changes.started.join(', ')}`,
    changes.replaced.length && `restarted ${changes.replaced.join(', ')} (config changed or not running)`,
    changes.removed.length && `removed ${changes.removed.join(', ')} (no longer in the config or deactivated)`,
    changes.scaled.length && `scaled ${changes.scaled.map(({ name, from, to }) => `${name} from ${from} to ${to} replicas`).join(', ')}`,
    changes.kept.length && `unchanged ${changes.kept.join(', ')}`,
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
    changes.notStarted.length && `${changes.notStarted.length} not started`,
  ].filter(Boolean).join(', ')
}
