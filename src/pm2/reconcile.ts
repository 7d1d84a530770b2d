import { createHash } from 'node:crypto'
import { WorkspaceError } from '../errors.ts'
import type { Pm2StartOptions } from '../workspace/plan-workers.ts'
import type { ProcView } from './client.ts'

/** The env variable that carries a hash of the options a process was started with. */
export const PLAN_HASH_KEY = 'BUN_PM_PLAN_HASH'

export interface ReconcileResult {
  started: string[]
  /** Running with other options than wanted, not running, or asked for: stopped, then started anew. */
  replaced: string[]
  /** Running with exactly the wanted options: left alone. */
  kept: string[]
  removed: string[]
  /** Replicated workers whose count alone changed: only the difference was started or removed. */
  scaled: { name: string, from: number, to: number }[]
}

export interface ReconcileOptions {
  /** Processes of the namespace that are not desired and may go (default: none). */
  shouldRemove?: (name: string) => boolean
  /** Names to start anew even when they run with the wanted options (`restart`). */
  replace?: ReadonlySet<string>
}

/** What to do to make a daemon run `desired` in a namespace: the result to report, and the work. */
export interface ReconcileDiff extends ReconcileResult {
  /** Processes to delete before anything starts (replaced ones and removed ones). */
  toDelete: ProcView[]
  /** Start options to hand PM2, each with its plan hash in its env. */
  toStart: Pm2StartOptions[]
  /** More replicas of a worker that runs as wanted: `count` copies of its process `from`. */
  toAdd: { name: string, from: ProcView, count: number }[]
}

/**
 * Decides, from what the daemon lists, how to make it run `desired` in `namespace`: start what is
 * missing, replace what runs with other options (a changed config or `.env`) or is not up, keep
 * what is identical, and delete the namespace's other processes that `shouldRemove` accepts.
 * A desired name that another namespace uses is an error: PM2 finds processes by name across
 * namespaces, so starting ours would take theirs over. Pure: `daemonLabel` only names the daemon.
 */
export function diffProcesses(procs: ProcView[], namespace: string, desired: Pm2StartOptions[], { shouldRemove = () => false, replace }: ReconcileOptions, daemonLabel: string): ReconcileDiff {
  const ours = procs.filter(proc => proc.namespace === namespace)
  const wantedNames = new Set(desired.map(d => d.name))
  const clash = procs.find(proc => wantedNames.has(proc.name) && proc.namespace !== namespace)
  if (clash)
    throw new WorkspaceError(`PM2 (${daemonLabel}) already runs a process named "${clash.name}" in namespace "${clash.namespace}", which is not this workspace's ("${namespace}"); rename the worker, or stop that process first`)
  const diff: ReconcileDiff = { started: [], replaced: [], kept: [], removed: [], scaled: [], toDelete: [], toStart: [], toAdd: [] }
  for (const wanted of desired) {
    const hash = hashOptions(wanted)
    const options = { ...wanted, env: { ...wanted.env, [PLAN_HASH_KEY]: hash } }
    const running = ours.filter(proc => proc.name === wanted.name)
    // `instances: N` is N processes of one name (in fork mode too). When they all run as wanted,
    // a new N adds or removes only the difference (the highest indexes go, so that the rest stay 0 … N-1).
    const count = replicas(wanted)
    const asWanted = running.length > 0 && running.every(proc => proc.env[PLAN_HASH_KEY] === hash && isUp(proc)) && !replace?.has(wanted.name)
    if (asWanted && running.length === count) {
      diff.kept.push(wanted.name)
    }
    else if (asWanted) {
      diff.scaled.push({ name: wanted.name, from: running.length, to: count })
      if (running.length < count)
        diff.toAdd.push({ name: wanted.name, from: running[0]!, count: count - running.length })
      else
        diff.toDelete.push(...[...running].sort((a, b) => a.instance - b.instance).slice(count))
    }
    else {
      diff.toDelete.push(...running)
      diff.toStart.push(options)
      diff[running.length > 0 ? 'replaced' : 'started'].push(wanted.name)
    }
  }
  for (const proc of ours) {
    if (!wantedNames.has(proc.name) && shouldRemove(proc.name)) {
      diff.toDelete.push(proc)
      diff.removed.push(proc.name)
    }
  }
  return diff
}

/** A stable digest of everything PM2 is told about a process, but how many of it: a new count is a scale, not a new config. */
export function hashOptions({ instances: _, ...options }: Pm2StartOptions): string {
  return createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 16)
}

/** How many processes a worker's start options ask PM2 for (bun-pm resolves `'max'` before this). */
export function replicas(options: Pm2StartOptions): number {
  return typeof options.instances === 'number' && options.instances > 0 ? options.instances : 1
}

/** Running, or about to: PM2's `online` with no live process is neither. */
function isUp(proc: ProcView): boolean {
  return (proc.status === 'online' && proc.pid !== null) || proc.status === 'launching'
}
