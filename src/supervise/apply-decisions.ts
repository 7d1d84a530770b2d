// The decisions of an apply, apart from its effects: what the health agent needs, which
// dependencies a worker waits for, and how a blocked worker blocks what depends on it. Pure.

import { agentName, newestSpec, specCovers, specOf, withRunningVersions } from '../model/agent-spec.ts'
import type { Dependencies, Outcome } from '../model/order.ts'
import { PLAN_HASH_KEY } from '../model/version.ts'
import type { ProcView } from '../pm2/process-view.ts'
import type { AgentSpec } from '../types/agent.ts'
import type { HealthPolicy } from '../types/health.ts'
import { isUp, type WorkerPlan } from './reconcile.ts'

/**
 * What the namespace's agent needs so that it judges every version that will run: `keep` the one
 * that runs (its spec covers them: an idempotent start touches nothing), `send` it the new spec
 * (it keeps everything it knows), or `replace` it (none runs, or more than one).
 * `lastWord`: the spec it said last it judges by.
 */
export function agentAction(procs: ProcView[], namespace: string, planned: AgentSpec, lastWord: AgentSpec | undefined): { action: 'keep' | 'send' | 'replace', spec: AgentSpec, running?: ProcView, agents: ProcView[] } {
  const agents = procs.filter(p => p.namespace === namespace && p.name === agentName(namespace))
  const running = agents.find(isUp)
  // What it judges by now: its last word (a spec sent since it booted), else what it booted with.
  const current = running ? newestSpec(lastWord, specOf(running.env)) : undefined
  const spec = withRunningVersions(planned, current, runningVersions(procs, namespace))
  if (!running || agents.length > 1)
    return { action: 'replace', spec, agents }
  return { action: specCovers(current, spec) ? 'keep' : 'send', spec, running, agents }
}

/** The versions each worker of `namespace` runs now, by its processes' plan hashes. */
export function runningVersions(procs: ProcView[], namespace: string): Map<string, Set<string>> {
  const hashes = new Map<string, Set<string>>()
  for (const proc of procs.filter(p => p.namespace === namespace && isUp(p) && p.env[PLAN_HASH_KEY]))
    (hashes.get(proc.name) ?? hashes.set(proc.name, new Set()).get(proc.name)!).add(proc.env[PLAN_HASH_KEY]!)
  return hashes
}

/**
 * The dependencies a worker waits for before its units are touched: all of them (of those this
 * apply runs) when it starts afresh; when it is replaced or scaled, only those that start afresh
 * themselves (the others serve already).
 */
export function dependenciesToWaitFor(worker: WorkerPlan, deps: Dependencies, applied: readonly string[], fresh: ReadonlySet<string>): string[] {
  return (deps[worker.name] ?? []).filter(d => applied.includes(d) && (worker.change === 'start' || fresh.has(d)))
}

/**
 * Every worker blocked, with the dependency and readiness that blocked it: one whose dependency
 * was itself blocked waits on the same one. The first error of a worker that failed is thrown.
 */
export function spreadBlocked<B>(ran: ReadonlyMap<string, Outcome>, blocked: ReadonlyMap<string, B>): Map<string, B> {
  const all = new Map(blocked)
  for (const [name, outcome] of ran) {
    const first = outcome.ok ? undefined : outcome.blockedBy && all.get(outcome.blockedBy)
    if (first)
      all.set(name, first)
    else if (!outcome.ok && outcome.error)
      throw outcome.error
  }
  return all
}

/**
 * Whether the agent must listen before the workers start: it must see from the first moment what
 * only happens once — a push heartbeat's beats, a one-shot job's exit, a worker without a check
 * staying up. Workers checked over http or tcp are probed once it runs, so it need not be waited for.
 */
export function agentMustListenFirst(workers: readonly { health: HealthPolicy }[]): boolean {
  return workers.some(w => (w.health.heartbeat.kind !== 'http' && w.health.heartbeat.kind !== 'tcp') || !w.health.autorestart)
}
