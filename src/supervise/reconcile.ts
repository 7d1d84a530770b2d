// What to do to make a daemon run the wanted workers: per unit (a worker's process, or one
// replica) keep, start, replace or remove, and why. Pure: the listing comes in.
import { WorkspaceError } from '../errors.ts'
import { isAgent } from '../model/agent-spec.ts'
import { unitLabel } from '../model/units.ts'
import { changedParts, partsOf, PLAN_HASH_KEY } from '../model/version.ts'
import type { ProcView } from '../pm2/process-view.ts'
import type { PlannedWorker } from '../plan/plan-workers.ts'

/** A worker as reconcile needs it: its version and how many processes it runs. */
export interface DesiredWorker {
  name: string
  hash: string
  parts: Record<string, string>
  replicas: number
  /** A one-shot job (`autorestart: false`): once it has exited 0 with this version, it is done, not down. */
  job?: boolean
}

/** What reconcile needs of a planned worker. */
export function toDesired(worker: PlannedWorker): DesiredWorker {
  return { name: worker.name, hash: worker.hash, parts: worker.parts, replicas: worker.replicas, job: worker.startOptions.autorestart === false }
}

export type UnitPlan =
  /**
   * Runs the wanted version, or (`done`) a job ran it to exit 0: left alone (`extra`: other
   * processes of the unit, left over from an interrupted deploy, go).
   */
  | { action: 'keep', worker: string, unit: string, index: number, proc: ProcView, extra: ProcView[], done: boolean }
  /** Nothing of it runs: a new process (`dead`: records of it that PM2 keeps stopped or errored, deleted first). */
  | { action: 'start', worker: string, unit: string, index: number, dead: ProcView[] }
  /**
   * Runs another version (or `forced`: `restart`): a new process replaces `old`. `changed`: the
   * parts of the version that differ (undefined when the running one carries none).
   */
  | { action: 'replace', worker: string, unit: string, index: number, old: ProcView[], dead: ProcView[], changed: string[] | undefined, forced: boolean }

export interface WorkerPlan {
  name: string
  units: UnitPlan[]
  /** Replicas beyond the wanted count: removed, highest index first, once the rest is done. */
  surplus: ProcView[]
  /** How the worker changes, in one word for the summary. */
  change: 'start' | 'replace' | 'keep' | 'scale'
  /** The number of units that ran before, for a scale. */
  from: number
}

export interface ReconcilePlan {
  workers: WorkerPlan[]
  /** Workers of the namespace that the config no longer runs: deleted. */
  removed: { name: string, procs: ProcView[] }[]
}

export interface ReconcileOptions {
  /** Processes of the namespace that are not desired and may go (default: none). */
  shouldRemove?: (name: string) => boolean
  /** Workers to replace even when they run the wanted version (`restart`). */
  replace?: ReadonlySet<string>
}

/** A job's process that ran to the end: stopped by its own exit 0. */
export function isDone(proc: ProcView): boolean {
  return proc.status === 'stopped' && proc.exitCode === 0 && proc.pid === null
}

/** Running, or about to: PM2's `online` with no live process is neither. */
export function isUp(proc: ProcView): boolean {
  return (proc.status === 'online' && proc.pid !== null) || proc.status === 'launching'
}

/**
 * Decides, from what the daemon lists, how to make it run `desired` in `namespace`. A desired
 * name that another namespace uses is an error: PM2 finds processes by name across namespaces,
 * so starting ours would take theirs over. `daemonLabel` only names the daemon in that error.
 */
export function reconcile(procs: ProcView[], namespace: string, desired: DesiredWorker[], { shouldRemove = () => false, replace }: ReconcileOptions, daemonLabel: string): ReconcilePlan {
  const ours = procs.filter(proc => proc.namespace === namespace && !isAgent(proc.name, namespace))
  const wanted = new Set(desired.map(d => d.name))
  const clash = procs.find(proc => wanted.has(proc.name) && proc.namespace !== namespace)
  if (clash)
    throw new WorkspaceError(`PM2 (${daemonLabel}) already runs a process named "${clash.name}" in namespace "${clash.namespace}", which is not this workspace's ("${namespace}"); rename the worker, or stop that process first`)
  const workers = desired.map(worker => planWorker(worker, ours.filter(proc => proc.name === worker.name), replace?.has(worker.name) ?? false))
  const removed = [...new Set(ours.map(p => p.name))].filter(name => !wanted.has(name) && shouldRemove(name))
    .map(name => ({ name, procs: ours.filter(p => p.name === name) }))
  return { workers, removed }
}

function planWorker(worker: DesiredWorker, procs: ProcView[], forced: boolean): WorkerPlan {
  const units: UnitPlan[] = []
  for (let index = 0; index < worker.replicas; index++) {
    const unit = unitLabel(worker.name, index, worker.replicas)
    const mine = procs.filter(proc => proc.instance === index).sort((a, b) => b.pmId - a.pmId)
    const up = mine.filter(isUp)
    const dead = mine.filter(proc => !isUp(proc))
    const current = forced ? undefined : up.find(proc => proc.env[PLAN_HASH_KEY] === worker.hash)
    // A job is run again when its version changes (or on `restart`), not because it is done.
    const done = forced || !worker.job || up.length > 0 ? undefined : dead.find(proc => isDone(proc) && proc.env[PLAN_HASH_KEY] === worker.hash)
    if (current ?? done)
      units.push({ action: 'keep', worker: worker.name, unit, index, proc: (current ?? done)!, extra: mine.filter(proc => proc !== (current ?? done)), done: !current })
    else if (up.length === 0)
      units.push({ action: 'start', worker: worker.name, unit, index, dead })
    else
      units.push({ action: 'replace', worker: worker.name, unit, index, old: up, dead, changed: changedParts(partsOf(up[0]!.env), worker.parts), forced })
  }
  const surplus = procs.filter(proc => proc.instance >= worker.replicas).sort((a, b) => b.instance - a.instance)
  const ranBefore = new Set(procs.filter(isUp).map(proc => proc.instance)).size
  const change = procs.length === 0
    ? 'start'
    : units.some(u => u.action === 'replace' || (u.action === 'start' && u.dead.length > 0))
      ? 'replace'
      : units.some(u => u.action === 'start') || surplus.length > 0 ? 'scale' : 'keep'
  return { name: worker.name, units, surplus, change, from: ranBefore }
}
