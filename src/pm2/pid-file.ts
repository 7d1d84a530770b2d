// The pid file PM2 writes for a process as it spawns it (pm2_env.pm_pid_path): the pid of an
// `online` event, without a listing of every process.
import { readFileSync } from 'node:fs'
import { isAlive } from '../os/processes.ts'

/** The pid in `path`: 0 when that process is already gone (a run all the same), undefined when there is no file to read. */
export function pidFromFile(path: unknown): number | undefined {
  if (typeof path !== 'string')
    return undefined
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
    return Number.isInteger(pid) && pid > 0 ? (isAlive(pid) ? pid : 0) : undefined
  }
  catch {
    return undefined
  }
}
