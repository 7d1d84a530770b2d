// A PM2 home on disk: which one the production commands use, and whether its daemon runs.

import { BOUNDED_LOGS_FILE } from '../model/log-lines.ts'
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { cmdlineOf } from '../os/processes.ts'

/** The PM2 home `start` and the other production commands use: PM2_HOME if set, else PM2's own default. */
export function userPm2Home(): string {
  return process.env.PM2_HOME || join(homedir(), '.pm2')
}

/** The pid in `home`'s pm2.pid, if any. */
export function readDaemonPid(home: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(join(home, 'pm2.pid'), 'utf8'), 10) || undefined
  }
  catch {
    return undefined
  }
}

/**
 * True when `home`'s daemon runs: the pid in pm2.pid is alive and is a PM2 daemon (after a reboot
 * or a SIGKILL the file can name a pid that now belongs to anything else).
 */
export function daemonRunning(home: string): boolean {
  const pid = readDaemonPid(home)
  if (pid === undefined)
    return false
  return /Daemon\.js|God Daemon/.test(cmdlineOf(pid))
}

/**
 * Whether `home`'s daemon runs bun-pm's log writer (it was spawned by bun-pm): workers' logs are
 * bounded. The writer leaves its pid in the home; that process is the daemon with the writer on
 * its command line (pm2.pid may be gone while the daemon runs).
 */
export function daemonBoundsLogs(home: string): boolean {
  try {
    const pid = Number(readFileSync(join(home, BOUNDED_LOGS_FILE), 'utf8'))
    const cmdline = cmdlineOf(pid)
    return pid > 0 && cmdline.includes('daemon-logs') && /Daemon\.js/.test(cmdline)
  }
  catch {
    return false
  }
}
