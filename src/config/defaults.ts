// The built-in defaults, the config's file name, and how a worker's options merge over the
// workspace's (defu: the worker wins).

import { createDefu } from 'defu'
import type { WorkerOptions } from '../types/config.ts'

/** Options every worker starts from; the workspace `defaults` and the worker's `options` win. */
export const BUILTIN_DEFAULTS = {
  force: true,
  max_restarts: 5,
  exec_mode: 'fork',
  autorestart: true,
  interpreter: 'bun',
  max_memory_restart: '100M',
  ignore_watch: ['node_modules'],
} as const satisfies WorkerOptions

/** The group a worker without `group` belongs to, and the one `start` runs when nothing is selected. */
export const DEFAULT_GROUP = 'primary'

/** The base name c12 looks for: `pm.config.ts` (or .js, .mjs, ...). */
export const CONFIG_NAME = 'pm'

/** Lists of arguments are one command line: the more specific level replaces them whole. */
const REPLACED_ARRAYS = new Set(['args', 'interpreter_args', 'node_args', 'stop_exit_codes', 'publish', 'dotenv'])

const mergeWithRules = createDefu((object, key, value) => {
  if (typeof key !== 'string' || !Array.isArray(value))
    return false
  const merged = object as Record<string, unknown>
  const inherited = merged[key]
  merged[key] = REPLACED_ARRAYS.has(key) || !Array.isArray(inherited)
    ? value
    : [...new Set([...value, ...inherited])]
  return true
})

/**
 * `options` over `defaults` over `BUILTIN_DEFAULTS`, by defu: objects merge key by key, and arrays
 * combine (the specific level's entries first, duplicates dropped) except the argument lists in
 * `REPLACED_ARRAYS`, which the more specific level replaces.
 */
export function mergeOptions(options: WorkerOptions | undefined, defaults: WorkerOptions | undefined): WorkerOptions {
  return mergeWithRules(options ?? {}, defaults ?? {}, BUILTIN_DEFAULTS) as WorkerOptions
}
