// One unit's start options, from its worker's: bun-pm runs replicas itself, one PM2 process per
// unit, so that a unit's new version can start beside its old one. Pure.
import { join } from 'node:path'
import type { Pm2StartOptions } from '../types/config.ts'

/**
 * What PM2 is handed for replica `index` of a worker of `replicas`: one process (no `instances`),
 * its index in NODE_APP_INSTANCE (PM2's `instance_var` renames it) and `increment_var` one higher
 * per replica, as PM2 would set them; its own log files under `logDir` (PM2 would give each
 * process of a name one file otherwise). Its `env` is all it gets: the PM2 client lays nothing of
 * the launcher's environment under it.
 */
export function unitOptions(options: Pm2StartOptions, replicas: number, index: number, logDir: string): Pm2StartOptions {
  // `increment_var` is done here: PM2 would give the next process of a name the highest value
  // in use plus one — wrong for a second process of one unit, and a race for replicas started at once.
  const { instances: _, increment_var: __, ...rest } = options
  const env = { ...options.env }
  const replicated = replicas > 1 || index > 0
  // Always said: PM2 would give a second process of a name (a new version beside the old) the next free index.
  env[options.instance_var ?? 'NODE_APP_INSTANCE'] = String(index)
  if (options.increment_var)
    env[options.increment_var] = String((Number(env[options.increment_var]) || 0) + index)
  const own = options as unknown as Record<string, unknown>
  const setsOut = ['out_file', 'output', 'out', 'out_log'].some(key => own[key] !== undefined)
  const setsErr = ['error_file', 'error', 'err', 'err_file', 'err_log'].some(key => own[key] !== undefined)
  const logs = {
    ...(replicated && !setsOut && { out_file: join(logDir, `${options.name}-${index}-out.log`) }),
    ...(replicated && !setsErr && { error_file: join(logDir, `${options.name}-${index}-error.log`) }),
  }
  return { ...rest, ...logs, env } as Pm2StartOptions
}
