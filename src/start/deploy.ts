// One deploy on the user's daemon, shared by `start` and `restart`: apply the plan under the
// namespace's lock, wait for readiness, and say what did not make it.
import { type Changes, toChanges } from '../report/changes.ts'
import type { HealthWatch } from '../supervise/readiness.ts'
import { withApplyLock } from '../pm2/daemon.ts'
import type { Pm2Client } from '../pm2/client.ts'
import { applyPlan } from '../supervise/apply.ts'
import { trace } from '../trace.ts'
import type { Plan } from '../plan/resolve-plan.ts'
import { markLogs, toFailure } from './failures.ts'
import type { Failure } from '../types/json.ts'
import { blockedReason, failingProcess, notReadyReason } from '../report/failures.ts'
import { type ProgressLine, progressText } from '../report/progress.ts'

export interface DeployOptions {
  client: Pm2Client
  health: HealthWatch
  plan: Plan
  home: string
  timeoutMs: number
  /** Workers to replace even when they run the wanted version (`restart`). */
  replace?: ReadonlySet<string>
  /** Processes of the namespace that may go when no longer wanted. */
  shouldRemove?: (name: string) => boolean
  waitForAgent?: boolean
  beforeDelete?: (units: string[]) => void
  /** A live line while it waits (`starting 3 of 5 · ready 2`), on a terminal; the caller prints the summary after. */
  progress?: ProgressLine
}

export interface Deployed {
  changes: Changes
  failures: Failure[]
  /** From the apply's start until every worker was ready, or known not to be. */
  tookMs: number
}

export async function deploy({ client, health, plan, home, timeoutMs, replace, shouldRemove, waitForAgent, beforeDelete, progress }: DeployOptions): Promise<Deployed> {
  const startedAt = performance.now()
  const verb = replace ? 'restarting' : 'starting'
  // Made only where it shows: with 200 workers each text is a pass over the agent's word.
  const shown = progress?.live ? setInterval(() => progress.set(progressText(verb, plan.workers, health.processes())), 100) : undefined
  try {
    return await deployWith({ client, health, plan, home, timeoutMs, replace, shouldRemove, waitForAgent, beforeDelete }, startedAt)
  }
  finally {
    clearInterval(shown)
    progress?.clear()
  }
}

async function deployWith({ client, health, plan, home, timeoutMs, replace, shouldRemove, waitForAgent, beforeDelete }: DeployOptions, startedAt: number): Promise<Deployed> {
  const { workspace } = plan
  const marks = markLogs(home, plan.workers.map(w => w.startOptions))
  const result = await withApplyLock(home, workspace.namespace, () => applyPlan({
    client,
    health,
    mode: 'start',
    namespace: workspace.namespace,
    workers: plan.workers,
    deps: plan.deps,
    agent: plan.agent,
    waitForAgent,
    shouldRemove,
    replace,
    beforeDelete,
    timeoutMs,
  }))
  const waits = await Promise.all(plan.workers.map(async ({ name }) => {
    const blocked = result.blocked.get(name)
    if (blocked)
      return { name, reason: blockedReason(blocked.dependency, blocked.readiness, timeoutMs) }
    const readiness = await result.readiness(name)
    trace(`${name} ${readiness.ready ? 'ready' : 'not ready'}`)
    const rollback = result.outcomes.get(name)?.rollback
    return readiness.ready ? undefined : { name, reason: notReadyReason(readiness, timeoutMs), readiness, kept: rollback?.kept }
  }))
  trace('every worker ready')
  const tookMs = Math.round(performance.now() - startedAt)
  const notReady = waits.filter(wait => wait !== undefined)
  const procs = notReady.length > 0 ? await client.list() : []
  const failures = notReady.map(wait => ({
    ...toFailure(wait.name, wait.reason, failingProcess(procs, workspace.namespace, wait.name, 'readiness' in wait ? wait.readiness : undefined), marks),
    ...('kept' in wait && wait.kept && { kept: wait.kept }),
  }))
  return { changes: toChanges(result.outcomes.values(), result.removed, new Set(result.blocked.keys())), failures, tookMs }
}
