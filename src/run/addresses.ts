// What `bun-pm run` tells the command of the workers it started: each one's address, from its heartbeat. Pure.

import type { Heartbeat } from '../types/health.ts'

/** `BUN_PM_URL_<NAME>` / `BUN_PM_ADDR_<NAME>`: the worker's name in capitals, anything but letters and digits as `_` (`api-v2` → `API_V2`). */
export function addressKey(kind: 'URL' | 'ADDR', name: string): string {
  return `BUN_PM_${kind}_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`
}

/**
 * The variables that say where each worker answers: an http(s) heartbeat gives its origin
 * (`BUN_PM_URL_API=http://127.0.0.1:3000`), a tcp one its host and port (`BUN_PM_ADDR_REDIS=
 * 127.0.0.1:6379`); a worker checked otherwise, or not at all, gives none.
 */
export function workerAddresses(workers: { name: string, heartbeat: Heartbeat }[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const { name, heartbeat } of workers) {
    if (heartbeat.kind === 'http')
      env[addressKey('URL', name)] = new URL(heartbeat.url).origin
    else if (heartbeat.kind === 'tcp')
      env[addressKey('ADDR', name)] = `${heartbeat.host}:${heartbeat.port}`
  }
  return env
}

/** `run`'s exit code: the command's (one a signal ended: 128 + its number, as a shell says it), or 1 when `strict` and a worker crashed while it ran. */
export function runExitCode({ code, crashed, strict }: { code: number, crashed: boolean, strict: boolean }): number {
  return strict && crashed && code === 0 ? 1 : code
}
