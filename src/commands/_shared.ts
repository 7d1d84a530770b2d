// The flags the commands share: which workers (--workers, --group), --no-deps, --env, --json.

import type { ArgsDef } from 'citty'
import type { Selection } from '../types/config.ts'
import { parseList } from '../plan/select.ts'

/** The flags every command that acts on workers takes. */
export const selectionArgs = {
  workers: {
    type: 'string',
    description: 'Workers to act on, by name (comma-separated)',
    valueHint: 'a,b',
  },
  group: {
    type: 'string',
    description: 'Groups to act on (comma-separated); with --workers, the union of both',
    valueHint: 'g1,g2',
  },
  cwd: {
    type: 'string',
    description: 'Folder that holds pm.config.ts',
    valueHint: 'dir',
  },
} as const satisfies ArgsDef

/** `--no-deps`, for the commands that start workers. */
export const depsArg = {
  deps: {
    type: 'boolean',
    default: true,
    description: 'Also run what the selected workers depend on (dependsOn); --no-deps runs only what was named',
  },
} as const satisfies ArgsDef

/** `--env`, for the commands that read the config for a run. */
export const envArg = {
  env: {
    type: 'string',
    description: 'Whose $<env> overrides of pm.config.ts apply (default: development for dev, production for start)',
    valueHint: 'name',
  },
} as const satisfies ArgsDef

/** `--json`, for every command whose output a script may parse. */
export const jsonArg = {
  json: { type: 'boolean', description: 'Print the result as JSON' },
} as const satisfies ArgsDef

/** `--dev`, for the commands that show a running workspace (`status`, `logs`, `monit`). */
export const devArg = {
  dev: { type: 'boolean', description: 'Show this workspace\'s dev session, even when `start`\'s daemon runs it' },
} as const satisfies ArgsDef

/** The parsed selection flags as a `Selection`. */
export function toSelection(args: { workers?: string, group?: string, deps?: boolean }): Selection {
  return { workers: parseList('workers', args.workers), groups: parseList('group', args.group), ...(args.deps === false && { noDeps: true }) }
}
