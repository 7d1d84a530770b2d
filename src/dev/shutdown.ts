// How a dev session ends: its workers stopped in reverse start order, then its daemon, then a
// sweep of whatever is left, orphans the launcher adopted as their subreaper included.

import { isAgentName } from '../model/agent-spec.ts'
import { unitsOfProcesses } from '../model/units.ts'
import type { Dependencies } from '../model/order.ts'
import { descendantsOf, known, type KnownProcess } from '../os/processes.ts'
import { signalGroup, waitForExit } from '../os/signals.ts'
import type { Pm2Client } from '../pm2/client.ts'
import { stopInOrder } from '../supervise/apply.ts'
import { isSessionWatchdog, type SessionFile, sweepSession } from './session.ts'

/**
 * Stops every worker in reverse start order (PM2 sends SIGTERM to each process tree, SIGKILL after
 * kill_timeout), then the daemon, then sweeps whatever is left and removes the session's PM2 home.
 */
export async function shutdown(client: Pm2Client, home: string, session: SessionFile, deps: Dependencies, expectExit: (names: string[]) => void, daemonAlive: boolean): Promise<void> {
  // A dead daemon answers nothing: asking it would wait out PM2's 30 s timeout.
  const procs = daemonAlive ? await client.list().catch(() => []) : []
  expectExit(unitsOfProcesses(procs))
  const longest = Math.max(1600, ...procs.map(p => p.killTimeout ?? 0))
  const graceful = (async () => {
    // Dependents first; the health agent last, so that it never sees a half-stopped workspace as a crash.
    await stopInOrder(procs.filter(p => !isAgentName(p.name)), deps, proc => client.delete(proc.pmId))
    await Promise.all(procs.filter(p => isAgentName(p.name)).map(p => client.delete(p.pmId).catch(() => {})))
    await client.killDaemon().catch(() => {})
  })()
  if (daemonAlive)
    await Promise.race([graceful, Bun.sleep(longest + 2000)])
  await sweepAll(home, session, true, 500)
}

/** Everything below the launcher but its watchdog: the daemon, workers, orphans it adopted as their subreaper. */
export function adoptedOrphans(session: SessionFile): KnownProcess[] {
  return known(descendantsOf([process.pid]).filter(pid => pid !== session.watchdogPid))
}

/**
 * Sweeps the session, then whatever came to the launcher while it did (children of dying workers
 * are handed to their subreaper after the first look), until nothing new comes.
 */
export async function sweepAll(home: string, session: SessionFile, keepLogs: boolean, graceMs: number): Promise<void> {
  await sweepSession(home, session.token, { graceMs, exclude: [session.watchdogPid ?? 0], adopted: adoptedOrphans(session), keepLogs })
  for (let round = 0; round < 3; round++) {
    const late = adoptedOrphans(session)
    if (late.length === 0)
      return
    for (const { pid } of late)
      signalGroup(pid, 'SIGKILL')
    await waitForExit(late.map(p => p.pid), 1000)
  }
}

export function killWatchdog(session: SessionFile): void {
  if (isSessionWatchdog(session))
    process.kill(session.watchdogPid!, 'SIGKILL')
}
