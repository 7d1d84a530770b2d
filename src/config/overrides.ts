// Per-environment overrides (`$production`, `$staging` blocks): applied over the base config. Pure.

import { defu } from 'defu'

/** Top-level keys of a workspace that hold per-environment overrides (c12's convention). */
export function isOverrideKey(key: string): boolean {
  return key.startsWith('$')
}

type Raw = Record<string, unknown>

/**
 * The workspace as it applies in environment `envName` (`dev`: development, `start`: production,
 * or `--env`): c12's `$<envName>: { ... }` and `$env: { <envName>: { ... } }` blocks laid over it —
 * objects key by key (defu: `defaults`, a worker's `options`), `workers` matched by name (a name
 * the base does not have adds a worker). Every `$` block is taken out. Pure.
 */
export function applyOverrides(raw: Raw, envName: string): Raw {
  const base = Object.fromEntries(Object.entries(raw).filter(([key]) => !isOverrideKey(key)))
  const envs = raw.$env as Record<string, Raw> | undefined
  const override: Raw = { ...(raw[`$${envName}`] as Raw | undefined), ...envs?.[envName] }
  if (Object.keys(override).length === 0)
    return base
  const { workers: overrideWorkers, ...rest } = override
  const merged = defu(rest, Object.fromEntries(Object.entries(base).filter(([key]) => key !== 'workers'))) as Raw
  const baseWorkers = Array.isArray(base.workers) ? base.workers as Raw[] : base.workers
  if (!Array.isArray(overrideWorkers) || !Array.isArray(baseWorkers)) {
    merged.workers = baseWorkers
    return merged
  }
  const byName = new Map((overrideWorkers as Raw[]).map(w => [w?.name, w]))
  merged.workers = [
    ...baseWorkers.map(w => byName.has(w?.name) ? replaceCommand(defu(byName.get(w?.name), w), byName.get(w?.name)) : w),
    ...(overrideWorkers as Raw[]).filter(w => !baseWorkers.some(b => b?.name === w?.name)),
  ]
  return merged
}

/** A command is one whole: the override's `cmd` replaces the base's (defu would join two arrays). */
function replaceCommand(merged: Raw, override: Raw | undefined): Raw {
  return override?.cmd === undefined ? merged : { ...merged, cmd: override.cmd }
}

/** Every environment the workspace has a block for (`$production` and `$env.staging` give production, staging). */
export function overrideEnvs(raw: Raw): string[] {
  const envs = Object.keys(raw).filter(key => isOverrideKey(key) && key !== '$env').map(key => key.slice(1))
  const nested = raw.$env && typeof raw.$env === 'object' ? Object.keys(raw.$env as Raw) : []
  return [...new Set([...envs, ...nested])]
}
