// While dev runs: a watchdog that died is replaced, and a session whose PM2 daemon died ends.

import { isAlive, startTime } from '../os/processes.ts'
import { isSessionWatchdog, type SessionFile, spawnWatchdog, writeSession } from './session.ts'
import { readDaemonPid } from '../pm2/home.ts'

/** How often the launcher looks at its daemon and its watchdog: a loss is noticed within 2 s. */
const GUARD_MS = 500

/**
 * Watches what a dev session cannot do without. The PM2 daemon: when it dies (SIGKILL, OOM),
 * `onDaemonLost` ends the session, since its workers have lost their supervisor. The watchdog: when
 * it dies, another starts at once, so that a later death of the launcher still leaves nothing.
 */
export function guardSession(home: string, session: SessionFile, { onDaemonLost, onWatchdogReplaced }: {
  onDaemonLost: (pid: number) => void
  onWatchdogReplaced: (pid: number) => void
}): { stop: () => void, daemonAlive: () => boolean } {
  const daemonPid = readDaemonPid(home)
  const daemonStart = daemonPid === undefined ? undefined : startTime(daemonPid)
  const daemonAlive = () => daemonPid !== undefined && isAlive(daemonPid) && startTime(daemonPid) === daemonStart
  let current = session
  const timer = setInterval(() => {
    if (!daemonAlive()) {
      clearInterval(timer)
      onDaemonLost(daemonPid ?? 0)
      return
    }
    if (!isSessionWatchdog(current)) {
      const watchdog = spawnWatchdog(home, current.token, current.launcherPid, current.launcherStart)
      current = { ...current, watchdogPid: watchdog.pid, watchdogStart: watchdog.start }
      writeSession(home, current)
      onWatchdogReplaced(watchdog.pid)
    }
  }, GUARD_MS)
  return { stop: () => clearInterval(timer), daemonAlive }
}
