import { createHash } from 'node:crypto'
import type { ProcessDescription } from 'pm2'
import type { Pm2StartOptions } from '../workspace/plan-workers.ts'
import { WorkspaceError } from '../errors.ts'
import type { Pm2Client } from './client.ts'

/** The env variable that carries a hash of the options a process was started with. */
export const PLAN_HASH_KEY = 'BUN_PM_PLAN_HASH'

export type DesiredProcess = Pm2StartOptions

export interface ReconcileResult {
  started: string[]
  /** Running with other options than wanted (or not running): stopped, then started anew. */
  replaced: string[]
  /** Running with exactly the wanted options: left alone. */
  kept: string[]
  removed: string[]
}

/**
 * Makes the daemon run `desired` in `namespace`: starts what is missing, replaces what runs with
 * other options (a changed config or `.env`), keeps what is identical, and deletes the namespace's
 * other processes that `shouldRemove` accepts. Deletions come first, so a port is free before its
 * next owner starts; PM2's delete returns only once the process is gone.
 */
export async function reconcile(client: Pm2Client, namespace: string, desired: DesiredProcess[], shouldRemove: (name: string) => boolean): Promise<ReconcileResult> {
  const all = await client.list()
  const ours = all.filter(proc => namespaceOf(proc) === namespace)
  // PM2 finds processes by name across namespaces: starting ours would take theirs over.
  const wantedNames = new Set(desired.map(d => d.name))
  const clash = all.find(proc => proc.name && wantedNames.has(proc.name) && namespaceOf(proc) !== namespace)
  if (clash)
    throw new WorkspaceError(`PM2 (${client.home}) already runs a process named "${clash.name}" in namespace "${namespaceOf(clash) ?? 'default'}", which is not this workspace's ("${namespace}"); rename the worker, or stop that process first`)
  const result: ReconcileResult = { started: [], replaced: [], kept: [], removed: [] }
  const toDelete: ProcessDescription[] = []
  const toStart: DesiredProcess[] = []

  for (const wanted of desired) {
    const hash = hashOptions(wanted)
    const options = { ...wanted, env: { ...wanted.env, [PLAN_HASH_KEY]: hash } }
    const running = ours.filter(proc => proc.name === wanted.name)
    const [only] = running
    if (running.length === 1 && only && planHash(only) === hash && isUp(only)) {
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

  await Promise.all(toDelete.map(proc => client.delete(proc.pm_id!)))
  await Promise.all(toStart.map(options => client.start(options)))
  return result
}

/** A stable digest of everything PM2 is told about a process. */
export function hashOptions(options: DesiredProcess): string {
  return createHash('sha256').update(JSON.stringify(options)).digest('hex').slice(0, 16)
}

function namespaceOf(proc: ProcessDescription): string | undefined {
  return (proc.pm2_env as { namespace?: string } | undefined)?.namespace
}

function planHash(proc: ProcessDescription): string | undefined {
  const env = proc.pm2_env as { env?: Record<string, string> } & Record<string, unknown> | undefined
  return env?.env?.[PLAN_HASH_KEY] ?? (env?.[PLAN_HASH_KEY] as string | undefined)
}

function isUp(proc: ProcessDescription): boolean {
  return ['online', 'launching'].includes(proc.pm2_env?.status ?? '')
}
