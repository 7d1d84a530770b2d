// `stop`: the selected workers stopped, dependents first.

import { countText, progressLine } from '../report/progress.ts'
import { agentName } from '../model/agent-spec.ts'
import { stopInOrder } from '../supervise/apply.ts'
import type { Selection } from '../types/config.ts'
import type { Pm2Client } from '../pm2/client.ts'
import { dependenciesOf } from '../plan/resolve-plan.ts'
import { connectExisting, resolveTarget, type Target, targetProcs } from './target.ts'
import { printStatus } from './run-status.ts'

/**
 * `stop`: PM2 stops the processes, dependents before what they depend on (they stay listed as
 * stopped; `start` or `restart` runs them again). With nothing selected the health agent stops too.
 */
export async function runStop({ cwd, selection, json }: { cwd?: string, selection: Selection, json: boolean }): Promise<number> {
  const target = await resolveTarget('stop', cwd, selection)
  const client = await connectExisting(target, 'stop')
  const progress = json ? undefined : progressLine()
  await stopTarget(target, client, progress && ((done, total) => progress.set(countText('stopping', done, total))))
  progress?.clear()
  printStatus(await client.list(), target, json)
  client.disconnect()
  return 0
}

/** The stop itself, printing nothing (`monit` shows it on its own screen); the client is the caller's. */
export async function stopTarget(target: Target, client: Pm2Client, onStopped?: (done: number, total: number) => void): Promise<void> {
  const procs = targetProcs(await client.list(), target)
  let done = 0
  await stopInOrder(procs, dependenciesOf(target.workspace), proc => client.stop(proc.pmId).finally(() => onStopped?.(++done, procs.length)))
  if (target.everything) {
    const agent = (await client.list()).find(p => p.namespace === target.workspace.namespace && p.name === agentName(target.workspace.namespace))
    if (agent)
      await client.stop(agent.pmId)
  }
}
