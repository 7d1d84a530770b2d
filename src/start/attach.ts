// `start --attach`: the workers followed in the foreground (their output, the agent's word) until a signal stops them.

import { join } from 'node:path'
import { createLogPrinter, useColor } from '../report/log-printer.ts'
import { unitsOf, unitsOfProcesses } from '../model/units.ts'
import { reportEvents } from '../report/events.ts'
import { agentName } from '../model/agent-spec.ts'
import type { HealthWatch } from '../supervise/readiness.ts'
import { stopInOrder } from '../supervise/apply.ts'
import type { Pm2Client } from '../pm2/client.ts'
import { isAlive, type KnownProcess, startTime } from '../os/processes.ts'
import type { Plan } from '../plan/resolve-plan.ts'
import { signalGroup } from '../os/signals.ts'

/**
 * `start --attach`, for containers and systemd: streams the workers' output and the health
 * agent's word like `dev`; `stop` deletes its workers in reverse start order (SIGTERM, then
 * SIGKILL after kill_timeout), and the daemon too if it started it.
 */
export function followWorkers(client: Pm2Client, plan: Plan, home: string, spawnedDaemon: boolean, health: HealthWatch, bus: Awaited<ReturnType<Pm2Client['launchBus']>>) {
  const names = plan.workers.map(w => w.name)
  const printer = createLogPrinter({ names: plan.workers.flatMap(w => unitsOf(w.name, w.replicas)), color: useColor() })
  const reporter = reportEvents({ bus, client, health, namespace: plan.workspace.namespace, names, printer, daemonLog: join(home, 'pm2.log') })
  reporter.setWorkers(plan.workers)
  printer.info(`attached to ${names.length} worker${names.length === 1 ? '' : 's'}; SIGTERM or Ctrl-C stops them${spawnedDaemon ? ' and the PM2 daemon' : ''}`)
  // Each worker's process as last seen, so that they can be ended without the daemon.
  let lastKnown: KnownProcess[] = []
  const noteProcesses = setInterval(() => {
    void client.list().then((procs) => {
      lastKnown = procs.filter(p => p.namespace === plan.workspace.namespace && p.pid !== null).map(p => ({ pid: p.pid!, start: startTime(p.pid!) ?? '' }))
    }).catch(() => {})
  }, 1000)
  noteProcesses.unref()
  return {
    expectExit: reporter.expectExit,
    /** Without a daemon: its workers' processes, still the same ones, SIGTERM then SIGKILL. */
    killOrphans() {
      reporter.close()
      const known = lastKnown.filter(p => isAlive(p.pid) && startTime(p.pid) === p.start)
      for (const { pid } of known)
        signalGroup(pid, 'SIGKILL')
    },
    async stop(why: string) {
      printer.info(`${why}: stopping ${[...names].reverse().join(', ')}`)
      const procs = (await client.list()).filter(p => p.namespace === plan.workspace.namespace && names.includes(p.name))
      reporter.expectExit(unitsOfProcesses(procs))
      await stopInOrder(procs, plan.deps, proc => client.delete(proc.pmId))
      reporter.close()
      // The workspace's agent goes when nothing of the workspace is left for it to watch.
      const left = (await client.list().catch(() => [])).filter(p => p.namespace === plan.workspace.namespace)
      if (!spawnedDaemon && left.every(p => p.name === agentName(plan.workspace.namespace)))
        await Promise.all(left.map(p => client.delete(p.pmId).catch(() => {})))
      if (spawnedDaemon)
        await client.killDaemon().catch(() => {})
      else
        client.disconnect()
    },
  }
}
