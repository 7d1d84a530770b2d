// dev's way of applying a plan: in order, one at a time, and one summary line once it is up.

import { countChanges, toChanges } from '../report/changes.ts'
import { describeAdded } from '../report/plan.ts'
import { isUserError } from '../errors.ts'
import type { EventReporter } from '../report/events.ts'
import type { LogPrinter } from '../report/log-printer.ts'
import type { HealthWatch } from '../supervise/readiness.ts'
import { applyPlan } from '../supervise/apply.ts'
import { isAgentName } from '../model/agent-spec.ts'
import type { Pm2Client } from '../pm2/client.ts'
import type { Plan } from '../plan/resolve-plan.ts'
import { SESSION_TOKEN_KEY } from './session.ts'
import type { Pm2StartOptions } from '../types/config.ts'
import { notReadyReason } from '../report/failures.ts'
import { type ProgressLine, progressText } from '../report/progress.ts'

/** How long `dev` waits for a worker (and so its dependents) to be ready before it says it is not. */
const READY_TIMEOUT_MS = 30_000

/**
 * dev's way of applying a config: the plan goes to the session's daemon in `dependsOn` order,
 * and once every worker is ready (or known not to be) one summary line says so. Applies run one
 * after the other: a newer one ends the wait of the one before (its dependents still waiting do
 * not start), and the summary of one that a newer apply overtook is dropped.
 */
export function createConfigApplier({ client, health, reporter, printer, token, color, progress }: {
  client: Pm2Client
  health: HealthWatch
  reporter: EventReporter
  printer: LogPrinter
  /** The session's secret: every process it starts carries it, so a sweep finds them. */
  token: string
  color: boolean
  /** The live line below the log, while the first apply waits (a terminal's). */
  progress?: ProgressLine
}) {
  let generation = 0
  let applying = Promise.resolve()
  let stopped = false
  /** Aborts the apply under way: its dependents still waiting on readiness need not start. */
  let current: AbortController | undefined

  const applyOne = async (plan: Plan | Error, startedAt: number, signal: AbortSignal) => {
    if (plan instanceof Error) {
      printer.info(`${plan.message}`)
      printer.info('the running workers keep running; fix the config to apply it')
      return
    }
    const mine = ++generation
    reporter.setWorkers(plan.workers)
    for (const line of describeAdded(plan.added))
      printer.info(line)
    // The first start, on a terminal: one live line below the log until its summary.
    const shown = mine === 1 && progress?.live ? setInterval(() => progress.set(progressText('starting', plan.workers, health.processes())), 100) : undefined
    const hide = () => {
      clearInterval(shown)
      if (shown)
        progress!.clear()
    }
    const result = await applyPlan({
      client,
      health,
      mode: 'dev',
      namespace: plan.workspace.namespace,
      workers: plan.workers,
      deps: plan.deps,
      agent: plan.agent,
      prepare: options => withSession(options, token, color && !isAgentName(options.name)),
      shouldRemove: () => true,
      beforeDelete: reporter.expectExit,
      timeoutMs: READY_TIMEOUT_MS,
      signal,
    }).catch((error) => {
      hide()
      throw error
    })
    // The summary waits for readiness, but the next config need not wait for the summary.
    void Promise.all(plan.workers.map(async ({ name }) => {
      const blocked = result.blocked.get(name)
      if (blocked)
        return { name, ready: false, why: `waits for ${blocked.dependency}` }
      const readiness = await result.readiness(name)
      return { name, ready: readiness.ready, why: readiness.ready ? '' : notReadyReason(readiness, READY_TIMEOUT_MS) }
    })).then(async (outcomes) => {
      const took = Math.round(performance.now() - startedAt)
      // The agent's word that a process is ready came on the bus behind PM2's `online` of it, whose
      // line waits for its pid: the summary goes below that line.
      await reporter.said()
      hide()
      if (mine !== generation || stopped)
        return
      const changes = countChanges(toChanges(result.outcomes.values(), result.removed, new Set(result.blocked.keys())))
      const ready = outcomes.filter(o => o.ready).map(o => o.name)
      const notReady = outcomes.filter(o => !o.ready)
      printer.info(notReady.length === 0
        ? `${ready.length} worker${ready.length === 1 ? '' : 's'} up in ${took} ms (${changes}): ${ready.join(', ')}`
        : `${ready.length} of ${outcomes.length} workers up in ${took} ms (${changes}); not ready: ${notReady.map(o => `${o.name} (${o.why})`).join(', ')}`, { event: 'up' })
    })
  }

  return {
    /** Queues `plan` (or the config error that replaced it) after any apply under way. */
    apply(plan: Plan | Error, startedAt: number): Promise<void> {
      current?.abort()
      const mine = new AbortController()
      current = mine
      applying = applying.then(() => stopped ? undefined : applyOne(plan, startedAt, mine.signal)).catch((error) => {
        // A mistake of the user's is its one line; anything else keeps its stack, to be reported.
        if (!stopped)
          printer.info(`could not apply the config: ${isUserError(error) ? error.message : (error as Error).stack ?? String(error)}`)
      })
      return applying
    },
    /** No apply starts after this; resolves once the one under way is done. */
    stop(): Promise<void> {
      stopped = true
      current?.abort()
      return applying
    },
  }
}

/** The session's marker (so a sweep finds the process and its children) and the terminal's colors. */
function withSession(options: Pm2StartOptions, token: string, color: boolean): Pm2StartOptions {
  const env: Record<string, string> = { ...options.env, [SESSION_TOKEN_KEY]: token }
  if (color && !env.NO_COLOR && !env.FORCE_COLOR)
    env.FORCE_COLOR = '1'
  return { ...options, env }
}
