// Makes the daemon run a plan: removes what goes, starts what is new in dependsOn order, and
// replaces what changed unit by unit — a new version beside the old one where its ports allow,
// the old one kept when the new one fails. The decisions are reconcile.ts's and rollout.ts's.
import { agentAction, dependenciesToWaitFor, spreadBlocked } from './apply-decisions.ts'
import type { HealthWatch, ProcessRef, Readiness } from './readiness.ts'
import { listenersOf } from '../os/sockets.ts'
import type { Pm2Client } from '../pm2/client.ts'
import { trace } from '../trace.ts'
import type { Mode, Pm2StartOptions } from '../types/config.ts'
import { type Dependencies, dependents, runInOrder } from '../model/order.ts'
import type { PlannedWorker } from '../plan/plan-workers.ts'
import { unitLabel } from '../model/units.ts'
import { reconcile, toDesired, type ReconcileOptions, type UnitPlan, type WorkerPlan } from './reconcile.ts'
import { replaceUnit, type UnitOutcome } from './replace-unit.ts'
import { type Strategy, strategyFor } from './rollout.ts'
import { unitOptions } from './units.ts'
import type { AgentOrder } from '../types/agent.ts'
import type { AgentPlan } from '../plan/agent-app.ts'
import type { ProcView } from '../pm2/process-view.ts'
import { canListenBeside } from '../os/reuse-port.ts'

/** How long workers wait for a new health agent to listen before they start anyway. */
const AGENT_BOOT_TIMEOUT_MS = 10_000
/** How long a running agent has to say it took a new spec before it is replaced instead. */
const SPEC_ACK_TIMEOUT_MS = 3000

export interface ApplyOptions extends ReconcileOptions {
  client: Pm2Client
  health: HealthWatch
  mode: Mode
  namespace: string
  /** The workers to run, in config order. */
  workers: PlannedWorker[]
  /** Each worker's `dependsOn`; only dependencies among `workers` are waited for. */
  deps: Dependencies
  /** The namespace's health agent, reconciled beside the workers. */
  agent?: AgentPlan
  /**
   * Workers start only once a new agent listens (default): what a worker says at once — a first
   * `heartbeat()`, a one-shot job's exit, a startup error under dev — would otherwise reach
   * nobody. A caller whose workers are all checked from outside and kept running by PM2 need not
   * wait: the agent finds them running when it starts.
   */
  waitForAgent?: boolean
  /** What a unit's options get before PM2 does (dev: the session's marker). */
  prepare?: (options: Pm2StartOptions) => Pm2StartOptions
  /** Told the units (`web`, `web#1`) about to be ended, before they are: their exits are ours, not crashes. */
  beforeDelete?: (units: string[]) => void
  /** How long each new process has to become ready (and a dependent waits for what it needs). */
  timeoutMs: number
  /** Aborted: dependents still waiting are not started (dev: a newer config replaces this one). */
  signal?: AbortSignal
}

/** What became of one worker. */
export interface WorkerOutcome {
  name: string
  change: WorkerPlan['change']
  from: number
  to: number
  /** A replaced worker: how its units were replaced (the first unit's way; they share it, ports alike). */
  strategy?: Strategy
  /** A replacement that did not take: why, and whether the running version still serves. */
  rollback?: { unit: string } & NonNullable<UnitOutcome['failed']>
}

export interface ApplyResult {
  outcomes: Map<string, WorkerOutcome>
  /** Workers removed from the namespace (no longer in the config, or deactivated). */
  removed: string[]
  /** Workers not started because a dependency did not become ready: which one, and how it ended. */
  blocked: Map<string, { dependency: string, readiness: Readiness }>
  /** Waits until a worker is ready in what this apply left it (memoised per name). */
  readiness: (name: string) => Promise<Readiness>
}

export async function applyPlan(o: ApplyOptions): Promise<ApplyResult> {
  const { client, health, namespace, workers, deps, beforeDelete = () => {}, timeoutMs, signal } = o
  const procs = await client.list()
  const plan = reconcile(procs, namespace, workers.map(toDesired), o, client.home)
  const byName = new Map(workers.map(w => [w.name, w]))
  const labels = (list: ProcView[]) => list.map(p => unitLabel(p.name, p.instance, byName.get(p.name)?.replicas ?? 1))
  const options = (worker: PlannedWorker, index: number) => (o.prepare ?? (x => x))(unitOptions(worker.startOptions, worker.replicas, index, `${client.home}/logs`))

  // What goes first: workers the config no longer runs (dependents before what they depend on),
  // and records of units that PM2 keeps stopped or errored, or that an interrupted deploy left.
  const removedProcs = plan.removed.flatMap(r => r.procs)
  const leftovers = plan.workers.flatMap(w => w.units.flatMap(u => u.action === 'keep' ? u.extra : u.dead))
  beforeDelete(labels([...removedProcs, ...leftovers]))
  await stopInOrder(removedProcs, deps, proc => client.delete(proc.pmId))
  await Promise.all(leftovers.map(proc => client.delete(proc.pmId).catch(() => {})))

  trace('reconciled, leftovers removed')
  if (o.agent)
    await applyAgent(o, o.agent, procs)

  const startedAt = Date.now()
  const outcomes = new Map<string, WorkerOutcome>()
  const ready = new Map<string, Promise<Readiness>>()
  const blocked = new Map<string, { dependency: string, readiness: Readiness }>()
  const fresh = new Set(plan.workers.filter(w => w.change === 'start').map(w => w.name))
  const names = workers.map(w => w.name)
  const readiness = (name: string) => ready.get(name) ?? health.untilWorker(name, Date.now() + timeoutMs)

  const run = async (name: string): Promise<boolean> => {
    const wp = plan.workers.find(w => w.name === name)!
    const worker = byName.get(name)!
    const outcome: WorkerOutcome = { name, change: wp.change, from: wp.from, to: worker.replicas }
    outcomes.set(name, outcome)
    // A worker that starts afresh waits for what it depends on; one replaced or scaled waits
    // only for dependencies that start afresh themselves (the others serve already).
    for (const dep of dependenciesToWaitFor(wp, deps, names, fresh)) {
      const depReady = await untilAborted(readiness(dep), signal)
      if (!depReady.ready) {
        blocked.set(name, { dependency: dep, readiness: depReady })
        return false
      }
    }
    const starts = wp.units.filter((u): u is UnitPlan & { action: 'start' } => u.action === 'start')
    const replaces = wp.units.filter((u): u is UnitPlan & { action: 'replace' } => u.action === 'replace')
    const kept = wp.units.filter((u): u is UnitPlan & { action: 'keep' } => u.action === 'keep')
    // New units start together; then running ones are replaced one at a time.
    const spawned = starts.length > 0 ? await client.spawn(starts.map(u => options(worker, u.index))) : []
    const refused = spawned.find(s => 'error' in s)
    if (refused && 'error' in refused)
      throw refused.error
    const refs: ProcessRef[] = spawned.flatMap(s => 'pmId' in s ? [{ pmId: s.pmId, uniqueId: s.uniqueId }] : [])
    // One unit at a time, each old process drained before the next unit starts: never more than
    // one process beyond the count, and never fewer serving than the count.
    for (const u of replaces) {
      const strategy = strategyFor({ mode: o.mode, policy: worker.health, ports: portFactsOf(u.old) })
      trace(`${u.unit}: ${strategy.kind}`)
      outcome.strategy ??= strategy
      const result = await replaceUnit({ client, health, unit: u.unit, old: u.old, options: options(worker, u.index), strategy, timeoutMs, expectExit: beforeDelete })
      await result.drained
      if (result.failed) {
        outcome.rollback = { unit: u.unit, readiness: result.failed.readiness, kept: result.failed.kept }
        break
      }
      refs.push(result.ready!)
    }
    // Replicas beyond the count go once the rest is done, highest index first.
    beforeDelete(labels(wp.surplus))
    await Promise.all(wp.surplus.map(proc => client.delete(proc.pmId).catch(() => {})))
    const keptRefs = kept.map(u => ({ pmId: u.proc.pmId, uniqueId: u.proc.uniqueId }))
    ready.set(name, outcome.rollback
      ? Promise.resolve(outcome.rollback.readiness)
      : health.untilProcesses([...refs, ...keptRefs], (refs.length > 0 ? Date.now() : startedAt) + timeoutMs))
    return true
  }
  const ran = await runInOrder(names, deps, async name => run(name))
  trace('every worker handed to PM2')
  const allBlocked = spreadBlocked(ran, blocked)
  return {
    outcomes,
    removed: plan.removed.map(r => r.name),
    blocked: allBlocked,
    readiness: name => allBlocked.has(name) ? Promise.resolve({ ready: false, why: 'timeout' } as Readiness) : readiness(name),
  }
}

/** The ports the old version holds, and whether each takes a second listener now. */
export function portFactsOf(old: ProcView[]): { port: number, shared: boolean | undefined }[] {
  return old.flatMap(proc => proc.pid === null ? [] : listenersOf(proc.pid).map(l => ({ port: l.port, shared: canListenBeside(l) })))
}

/**
 * The namespace's agent, made to judge every version that will run: the one that runs stays
 * when its spec covers them (an idempotent start touches nothing); else a new one replaces it
 * and, unless the caller says it need not, listens before any worker starts.
 */
async function applyAgent(o: ApplyOptions, agent: AgentPlan, procs: ProcView[]): Promise<void> {
  const { client, health, namespace } = o
  const { action, spec, running, agents: mine } = agentAction(procs, namespace, agent.spec, health.spec())
  if (action === 'keep')
    return
  // A running agent takes the new spec by message and keeps everything it knows; one that does
  // not say so soon (an older bun-pm's, one that is stuck) is replaced.
  if (action === 'send' && running) {
    const sent = await client.send(running.pmId, { 'bun-pm': 'spec', spec } satisfies AgentOrder).then(() => true, () => false)
    if (sent && await health.specInForce(spec.revision, Date.now() + SPEC_ACK_TIMEOUT_MS)) {
      trace('health agent took the new spec')
      return
    }
  }
  const since = Date.now()
  health.replaceAgent(mine.flatMap(proc => proc.pid === null ? [] : [proc.pid]))
  await Promise.all(mine.map(proc => client.delete(proc.pmId).catch(() => {})))
  const [started] = await client.spawn([(o.prepare ?? (x => x))(agent.startOptions(spec))])
  if (started && 'error' in started)
    throw started.error
  if (o.waitForAgent ?? true) {
    await health.agentListening(since, since + AGENT_BOOT_TIMEOUT_MS)
    trace('health agent listening')
  }
}

/**
 * Stops or deletes processes so that a worker goes before whatever it depends on (reverse start
 * order); unrelated ones in parallel.
 */
export async function stopInOrder(procs: ProcView[], deps: Dependencies, stop: (proc: ProcView) => Promise<void>): Promise<void> {
  const names = [...new Set(procs.map(proc => proc.name))]
  await runInOrder(names, dependents(deps), async (name) => {
    await Promise.all(procs.filter(proc => proc.name === name).map(proc => stop(proc).catch(() => {})))
    return true
  })
}

/** `wait`, or a timeout-like answer as soon as `signal` aborts. */
function untilAborted(wait: Promise<Readiness>, signal: AbortSignal | undefined): Promise<Readiness> {
  if (!signal)
    return wait
  if (signal.aborted)
    return Promise.resolve({ ready: false, why: 'timeout' })
  return Promise.race([wait, new Promise<Readiness>(resolve => signal.addEventListener('abort', () => resolve({ ready: false, why: 'timeout' }), { once: true }))])
}
