import { createHash } from 'node:crypto'
import type { ProcessDescription } from 'pm2'
import type { Pm2StartOptions } from '../workspace/plan-workers.ts'
import { WorkspaceError } from '../errors.ts'
import { namespaceOf, type Pm2Client } from './client.ts'

/** The env variable that carries a hash of the options a process was started with. */
export const PLAN_HASH_KEY = 'BUN_PM_PLAN_HASH'


export interface ReconcileResult {
  started: string[]
  /** Running with other options than wanted, not running, or asked for: stopped, then started anew. */
  replaced: string[]
  /** Running with exactly the wanted options: left alone. */
  kept: string[]
  removed: string[]
}

/**
 * Makes the daemon run `desired` in `namespace`: starts what is missing, replaces what runs with
 * other options (a changed config or `.env`) or is not up, keeps what is identical, and deletes
 * the namespace's other processes that `shouldRemove` accepts. Deletions come first, so a port is free before its
 * next owner starts; PM2's delete returns only once the process is gone.
 */
export interface ReconcileOptions {
  /** Processes of the namespace that are not desired and may go (default: none). */
  shouldRemove?: (name: string) => boolean
  /** Names to start anew even when they run with the wanted options (`restart`). */
  replace?: ReadonlySet<string>
  /** Told the names about to be deleted, before they are: their exits are ours, not crashes. */
  beforeDelete?: (names: string[]) => void
}

export async function reconcile(client: Pm2Client, namespace: string, desired: Pm2StartOptions[], { shouldRemove = () => false, replace, beforeDelete }: ReconcileOptions = {}): Promise<ReconcileResult> {
  const all = await client.list()
  const ours = all.filter(proc => namespaceOf(proc) === namespace)
  // PM2 finds processes by name across namespaces: starting ours would take theirs over.
  const wantedNames = new Set(desired.map(d => d.name))
  const clash = all.find(proc => proc.name && wantedNames.has(proc.name) && namespaceOf(proc) !== namespace)
  if (clash)
    throw new WorkspaceError(`PM2 (${client.home}) already runs a process named "${clash.name}" in namespace "${namespaceOf(clash) ?? 'default'}", which is not this workspace's ("${namespace}"); rename the worker, or stop that process first`)
  const result: ReconcileResult = { started: [], replaced: [], kept: [], removed: [] }
  const toDelete: ProcessDescription[] = []
  const toStart: Pm2StartOptions[] = []

  for (const wanted of desired) {
    const hash = hashOptions(wanted)
    const options = { ...wanted, env: { ...wanted.env, [PLAN_HASH_KEY]: hash } }
    const running = ours.filter(proc => proc.name === wanted.name)
    const [only] = running
    if (running.length === 1 && only && planHash(only) === hash && isUp(only) && !replace?.has(wanted.name)) {
      result.kept.push(wanted.name)
      continue
    }
    toDelete.push(...running)
    toStart.push(options)
    result[running.length > 0 ? 'replaced' : 'started'].push(wanted.name)
  }
  for (const proc of ours) {
    if (proc.name && !wantedNames.has(proc.name) && shouldRemove(proc.name)) {
      toDelete.push(proc)
      result.removed.push(proc.name)
    }
  }

  beforeDelete?.(toDelete.map(proc => proc.name ?? ''))
  await Promise.all(toDelete.map(proc => client.delete(proc.pm_id!)))
  await Promise.all(toStart.map(options => client.start(options)))
  return result
}

/** A stable digest of everything PM2 is told about a process. */
export function hashOptions(options: Pm2StartOptions): string {
  return createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 16)
}

function planHash(proc: ProcessDescription): string | undefined {
  const env = proc.pm2_env as { env?: Record<string, string> } & Record<string, unknown> | undefined
  return env?.env?.[PLAN_HASH_KEY] ?? (env?.[PLAN_HASH_KEY] as string | undefined)
}

function isUp(proc: ProcessDescription): boolean {
  return ['online', 'launching'].includes(proc.pm2_env?.status ?? '')
}
