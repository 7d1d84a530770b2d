// bun-pm's own files that run as processes of their own (the agent, the worker entry, the
// watchdog): from src/ under the sources, from dist/ when built.

import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'

const FROM_SOURCE = import.meta.url.endsWith('.ts')

/** bun-pm's own folder: the nearest above this module with a package.json (the build splits modules into chunks anywhere in dist/). */
export function packageRoot(): string {
  let dir = import.meta.dirname
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir)
    dir = dirname(dir)
  return dir
}

/**
 * A file of bun-pm's that runs as a process of its own (`health/agent`, `worker/entry`): from
 * src/ when bun-pm runs from its sources, from dist/ when it runs built.
 */
export function ownFile(name: string): string {
  return join(packageRoot(), FROM_SOURCE ? 'src' : 'dist', `${name}.${FROM_SOURCE ? 'ts' : 'js'}`)
}
