import { isAgent } from '../health/agent-spec.ts'
import type { HealthWatch, Readiness } from '../health/watch-health.ts'
import { type Dependencies, dependents, runInOrder } from '../workspace/order.ts'
import type { Pm2StartOptions } from '../workspace/plan-workers.ts'
import type { Pm2Client, ProcView } from './client.ts'
import { trace } from '../trace.ts'
import { unitLabel } from '../workspace/replicas.ts'
import { diffProcesses, type ReconcileOptions, type ReconcileResult, replicas } from './reconcile.ts'

/** How long workers wait for a new health agent to listen before they start anyway. */
const AGENT_BOOT_TIMEOUT_MS = 10_000

export interface ApplyOptions extends ReconcileOptions {
  client: Pm2Client
  health: HealthWatch
  namespace: string
  /** The workers to run, in config order. */
  desired: Pm2StartOptions[]
  /** Each worker's `dependsOn`; only dependencies among `desired` are waited for. */
  deps: Dependencies
  /** The namespace's health agent, reconciled beside the workers. */
  agent?: Pm2StartOptions
  /**
   * Workers start only once a new agent listens (default): what a worker says at once — a first
   * `heartbeat()`, a one-shot job's exit, a startup error under dev — would otherwise reach
   * nobody. A caller whose workers are all checked from outside and kept running by PM2 need not
   * wait: the agent finds them running when it starts.
   */
  waitForAgent?: boolean
  /** Told the units (`web`, `web#1`) about to be deleted, before they are: their exits are ours, not crashes. */
  beforeDelete?: (units: string[]) => void
  /** Until when a dependent waits for its dependencies to be ready (ms since the epoch). */
  deadline: number
  /** Aborted: dependents still waiting are not started (dev: a newer config replaces this one). */
  signal?: AbortSignal
}

export interface ApplyResult extends ReconcileResult {
  /** Workers not started because a dependency did not become ready: which one, and how it ended. */
  blocked: Map<string, { dependency: string, readiness: Readiness }>
  /** Waits until a desired worker (every replica of it) is ready in the run this apply gave it (memoised per name). */
  readiness: (name: string) => Promise<Readiness>
}

/**
 * Makes the daemon run `desired`: deletes what must go (dependents before what they depend on),
 * then starts each worker as soon as everything it depends on is ready, independent ones in
 * parallel. A new health agent starts first.
 */
export async function applyPlan({ client, health, namespace, desired, deps, agent, waitForAgent = true, beforeDelete, deadline, signal, shouldRemove = () => false, replace }: ApplyOptions): Promise<ApplyResult> {
  const procs = await client.list()
  const diff = diffProcesses(procs, namespace, desired, { shouldRemove: name => !isAgent(name, namespace) && shouldRemove(name), replace }, client.home)
  const agentDiff = agent ? diffProcesses(procs, namespace, [agent], {}, client.home) : undefined
  const count = new Map(desired.map(options => [options.name, replicas(options)]))
  beforeDelete?.(diff.toDelete.map(proc => unitLabel(proc.name, proc.instance, count.get(proc.name) ?? 1)))
  await stopInOrder(diff.toDelete, deps, proc => client.delete(proc.pmId))

  // A new agent listens before any worker starts (unless the caller says it need not: see waitForAgent).
  if (agentDiff && agentDiff.toStart.length > 0) {
    const since = Date.now()
    health.replaceAgent(agentDiff.toDelete.flatMap(proc => proc.pid === null ? [] : [proc.pid]))
    await Promise.all(agentDiff.toDelete.map(proc => client.delete(proc.pmId)))
    await Promise.all(agentDiff.toStart.map(options => client.start(options)))
    if (waitForAgent) {
      await health.agentListening(since, Math.min(deadline, since + AGENT_BOOT_TIMEOUT_MS))
      trace('health agent listening')
    }
  }
  const startedAt = Date.now()
  const toStart = new Map(diff.toStart.map(options => [options.name, options]))
  // More replicas of a worker otherwise left alone: copies of one of its processes, which PM2
  // gives the free instance indexes (PM2's `start` of a running name would restart them all).
  const toAdd = new Map(diff.toAdd.map(add => [add.name, add]))
  const waits = new Map<string, Promise<Readiness>>()
  const readiness = (name: string) => {
    let wait = waits.get(name)
    if (!wait) {
      wait = health.until(name, toStart.has(name) ? startedAt : 0, deadline)
      waits.set(name, wait)
    }
    return wait
  }
  const blocked = new Map<string, { dependency: string, readiness: Readiness }>()
  const names = desired.map(options => options.name)
  // Every worker that waits for nothing starts in one call: PM2 lists its processes once per
  // call, which N calls at once make N times (most of a 50-worker start); the rest as they may.
  const free = [...toStart.values()].filter(options => !(deps[options.name] ?? []).some(dep => names.includes(dep)))
  // One app PM2 refuses fails its whole call: then each that did not start goes alone, so that
  // the error names the right worker and the others run.
  const firstWave = free.length > 1 ? startTogether(client, namespace, free) : undefined
  const outcomes = await runInOrder(names, deps, async (name) => {
    const options = toStart.get(name)
    const add = toAdd.get(name)
    if (!options && !add)
      return true
    if (firstWave && free.includes(options!)) {
      if ((await firstWave).includes(options!))
        await client.start(options!)
      return true
    }
    for (const dependency of (deps[name] ?? []).filter(dep => names.includes(dep))) {
      const ready = await untilAborted(readiness(dependency), signal)
      if (!ready.ready) {
        blocked.set(name, { dependency, readiness: ready })
        return false
      }
    }
    if (options)
      await client.start(options)
    for (let i = 0; add && i < add.count; i++)
      await client.duplicate(add.from.pmId)
    return true
  })
  // A worker whose dependency was itself blocked waits on the same one.
  for (const [name, outcome] of outcomes) {
    const first = outcome.ok ? undefined : outcome.blockedBy && blocked.get(outcome.blockedBy)
    if (first)
      blocked.set(name, first)
    else if (!outcome.ok && outcome.error)
      throw outcome.error
  }
  const { started, replaced, kept, removed, scaled } = diff
  return { started, replaced, kept, removed, scaled, blocked, readiness }
}

/**
 * Starts `apps` in one PM2 call. PM2 refuses a whole call for one app it will not take: then the
 * apps that did not start (not listed in `namespace` afterwards) are returned, each to be started
 * alone, so that the error names the right worker and the others run.
 */
export async function startTogether(client: Pick<Pm2Client, 'startAll' | 'list'>, namespace: string, apps: Pm2StartOptions[]): Promise<Pm2StartOptions[]> {
  try {
    await client.startAll(apps)
    return []
  }
  catch {
    const listed = new Set((await client.list()).filter(p => p.namespace === namespace).map(p => p.name))
    return apps.filter(options => !listed.has(options.name))
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
