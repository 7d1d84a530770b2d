// `stop` and `delete`: the selected workers stopped (and with `delete` removed from PM2's list), dependents first.

import { countText, progressLine } from '../report/progress.ts'
import { agentName } from '../model/agent-spec.ts'
import { stopInOrder } from '../supervise/apply.ts'
import type { Selection } from '../types/config.ts'
import type { Pm2Client } from '../pm2/client.ts'
import { dependenciesOf } from '../plan/resolve-plan.ts'
import { connectExisting, resolveTarget, type Target, targetProcs } from './target.ts'
import { printStatus } from './print-status.ts'

/**
 * `stop`: PM2 stops the processes, dependents before what they depend on (they stay listed as
 * stopped; `start` or `restart` runs them again). With nothing selected the health agent stops too.
 */
export async function runStop({ cwd, selection, json }: { cwd?: string, selection: Selection, json: boolean }): Promise<number> {
  return stopOrDelete('stop', { cwd, selection, json })
}

/**
 * `delete` (alias `del`): as `stop`, and the processes leave PM2's list (`status` then shows them
 * `not running`); with nothing selected, every process of the workspace's namespace goes, the
 * health agent too. Other namespaces on the daemon are not touched.
 */
export async function runDelete({ cwd, selection, json }: { cwd?: string, selection: Selection, json: boolean }): Promise<number> {
  return stopOrDelete('delete', { cwd, selection, json })
}

async function stopOrDelete(command: 'stop' | 'delete', { cwd, selection, json }: { cwd?: string, selection: Selection, json: boolean }): Promise<number> {
  const target = await resolveTarget(command, cwd, selection)
  const client = await connectExisting(target, command)
  const progress = json ? undefined : progressLine()
  const verb = command === 'stop' ? 'stopping' : 'deleting'
  await stopTarget(target, client, progress && ((done, total) => progress.set(countText(verb, done, total))), { remove: command === 'delete' })
  progress?.clear()
  printStatus(await client.list(), target, json)
  client.disconnect()
  return 0
}

/**
 * The stop itself, printing nothing (`monit` shows it on its own screen); the client is the
 * caller's. With `remove` (`delete`) the processes leave PM2's list too, and so does the health
 * agent once nothing of the workspace is left for it to watch.
 */
export async function stopTarget(target: Target, client: Pm2Client, onStopped?: (done: number, total: number) => void, { remove = false } = {}): Promise<void> {
  const procs = targetProcs(await client.list(), target)
  const act = (id: number) => remove ? client.delete(id) : client.stop(id)
  let done = 0
  await stopInOrder(procs, dependenciesOf(target.workspace), proc => act(proc.pmId).finally(() => onStopped?.(++done, procs.length)))
  const { namespace } = target.workspace
  const left = (await client.list()).filter(p => p.namespace === namespace)
  const agent = left.find(p => p.name === agentName(namespace))
  if (agent && (target.everything || (remove && left.every(p => p === agent))))
    await act(agent.pmId)
}
