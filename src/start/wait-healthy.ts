import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'
import type { ProcessDescription } from 'pm2'
import { namespaceOf, type Pm2Client } from '../pm2/client.ts'

export interface Failure {
  name: string
  reason: string
  lastLines: string[]
}

interface Pm2Env {
  status?: string
  restart_time?: number
  pm_uptime?: number
  pm_out_log_path?: string
  pm_err_log_path?: string
}

/**
 * PM2 calls a process online the moment it is spawned. A worker counts as up once it has stayed
 * online, without a restart, for `stableMs`; one that PM2 gave up on (errored) or that keeps
 * restarting until `timeoutMs` is a failure, reported with its last lines of output.
 */
export async function waitHealthy(client: Pm2Client, namespace: string, names: string[], { timeoutMs, stableMs }: { timeoutMs: number, stableMs: number }): Promise<Failure[]> {
  const deadline = Date.now() + timeoutMs
  const firstRestarts = new Map<string, number>()
  let procs: ProcessDescription[] = []
  for (;;) {
    procs = (await client.list()).filter(p => namespaceOf(p) === namespace)
    const done = names.every((name) => {
      const proc = procs.find(p => p.name === name)
      if (!proc)
        return false
      const { status, restart_time = 0, pm_uptime = Date.now() } = env(proc)
      if (!firstRestarts.has(name))
        firstRestarts.set(name, restart_time)
      return status === 'errored' || status === 'stopped' || (status === 'online' && Date.now() - pm_uptime >= stableMs)
    })
    if (done || Date.now() >= deadline)
      break
    await Bun.sleep(100)
  }
  return names.flatMap((name) => {
    const proc = procs.find(p => p.name === name)
    if (!proc)
      return [{ name, reason: `not started within ${timeoutMs / 1000} s`, lastLines: [] }]
    const { status, restart_time = 0, pm_uptime = Date.now(), pm_out_log_path, pm_err_log_path } = env(proc)
    if (status === 'online' && Date.now() - pm_uptime >= stableMs)
      return []
    const lastLines = [...tail(pm_out_log_path, 5), ...tail(pm_err_log_path, 10)]
    const crashes = restart_time - (firstRestarts.get(name) ?? 0)
    const what = status === 'errored'
      ? `errored: it exited ${crashes > 0 ? `${crashes + 1} times` : 'at once'} and PM2 gave up`
      : status === 'online' ? `still restarting after ${timeoutMs / 1000} s (${crashes} restarts)` : status ?? 'unknown'
    return [{ name, reason: `${what}${diagnose(lastLines)}`, lastLines }]
  })
}

/** The usual causes, named when the output shows them. */
function diagnose(lines: string[]): string {
  const text = lines.join('\n')
  if (/EADDRINUSE|address already in use|port \d+ in use/i.test(text))
    return ' (port in use)'
  if (/Cannot find module|Module not found|ENOENT/i.test(text))
    return ' (missing file)'
  return ''
}

function env(proc: ProcessDescription): Pm2Env {
  return (proc.pm2_env ?? {}) as Pm2Env
}

/** The last `count` lines of a log file (reading at most its last 64 KB). */
export function tail(path: string | undefined, count: number): string[] {
  if (!path || !existsSync(path))
    return []
  const size = statSync(path).size
  const length = Math.min(size, 64 * 1024)
  const buffer = Buffer.alloc(length)
  const fd = openSync(path, 'r')
  readSync(fd, buffer, 0, length, size - length)
  closeSync(fd)
  return buffer.toString('utf8').split('\n').filter(Boolean).slice(-count)
}
