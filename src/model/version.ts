// What makes two runs of a worker the same version: a digest of each thing the worker reads —
// every start option and every counted variable — kept in the process's own environment, so
// that a later start tells what changed without keeping the values. Pure.
import { createHash } from 'node:crypto'
import type { EnvSource } from '../types/config.ts'

/** The env variable that carries a digest of the whole version. */
export const PLAN_HASH_KEY = 'BUN_PM_PLAN_HASH'
/** The env variable that carries each part's digest (`{ "max_memory_restart": "…", "env.PORT": "…" }`). */
export const PLAN_PARTS_KEY = 'BUN_PM_PLAN'

/** Options that are not the version: how many processes run (a new count is a scale), and the name and namespace that place it. */
const NOT_THE_VERSION = new Set(['instances', 'env', 'name', 'namespace'])

/** bun-pm's own markers in a worker's environment, never a part of its version. */
const MARKERS = new Set([PLAN_HASH_KEY, PLAN_PARTS_KEY])

/**
 * The parts of a version: one short digest per start option and per variable that counts (every
 * variable but the runtime ones from the shell: PATH, HOME, … differ between an ssh login, cron
 * and CI, and must not make a deploy restart anything).
 */
export function versionParts(options: Record<string, unknown>, env: Record<string, { value: string, source: EnvSource }>): Record<string, string> {
  const parts: Record<string, string> = {}
  for (const key of Object.keys(options).sort()) {
    if (!NOT_THE_VERSION.has(key) && options[key] !== undefined)
      parts[key] = digest(JSON.stringify(options[key]))
  }
  for (const key of Object.keys(env).sort()) {
    const entry = env[key]!
    if (entry.source !== 'runtime' && !MARKERS.has(key))
      parts[`env.${key}`] = digest(entry.value)
  }
  return parts
}

/** The version's one digest, from its parts. */
export function versionHash(parts: Record<string, string>): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16)
}

/**
 * What differs between a running version (its parts, from its environment) and the wanted one:
 * the option names and `env.NAME`s added, removed or changed. Undefined when the running process
 * carries no parts (started by another bun-pm, or by hand).
 */
export function changedParts(running: Record<string, string> | undefined, wanted: Record<string, string>): string[] | undefined {
  if (!running)
    return undefined
  const keys = new Set([...Object.keys(running), ...Object.keys(wanted)])
  return [...keys].filter(key => running[key] !== wanted[key]).sort()
}

/** The parts a process carries in its environment, if it carries them. */
export function partsOf(env: Record<string, string>): Record<string, string> | undefined {
  try {
    const parts = JSON.parse(env[PLAN_PARTS_KEY] ?? '') as unknown
    return typeof parts === 'object' && parts !== null && !Array.isArray(parts) ? parts as Record<string, string> : undefined
  }
  catch {
    return undefined
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 10)
}
