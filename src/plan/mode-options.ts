// What `dev` and `start` add to a worker's PM2 options: bun-pm's entry, watch in dev.

import { resolve } from 'node:path'
import { ownFile } from '../bun-pm-files.ts'
import type { StartOptions } from '../types/config.ts'
import type { Mode } from '../types/config.ts'
import type { LoadedWorker } from '../config/load.ts'

/**
 * What PM2 runs for a bun worker (`.ts` from the sources, `.js` from a build): it loads the
 * worker's script (in SCRIPT_KEY) as `bun file.ts` would, and does what PM2's monitoring library
 * did (see src/worker/entry.ts). No `--preload`: each module before the worker's code is time
 * added to every dev reload.
 */
export const WORKER_ENTRY = ownFile('worker/entry')
export const SCRIPT_KEY = 'BUN_PM_SCRIPT'

/** Never watched, whatever the config says: changes there are not the worker's code. */
const ALWAYS_IGNORED = ['node_modules', 'dist', '.git', '.pm2', '*.log']

type ModeOptions = Partial<StartOptions> & { pmx: boolean, interpreter_args: string[] }

/**
 * Both modes turn PM2's monitoring library off unless the worker sets `pmx`: it slows every start
 * (50 workers: ~2.5 s against ~0.7 s) and every reload. What it also did, making a worker exit when
 * the daemon dies, bun-pm's entry does for bun workers.
 */
export function modeOptions(mode: Mode, worker: LoadedWorker, script: string, root: string, args: string[], codeFiles: () => string[] = () => [script]): ModeOptions {
  if (mode === 'dev')
    return devOptions(worker, root, args, codeFiles)
  return { pmx: worker.options.pmx ?? false, interpreter_args: args }
}

/**
 * What `dev` adds to a worker's options.
 *
 * A bun worker with no `watch` option runs under `bun --watch`: bun reloads it in place when a file
 * it imports changes (its import graph, never node_modules), as fast as bun alone and without a
 * new process. Any other worker, or one with `watch` set, is restarted by PM2's watcher: on its
 * `watch` paths, or for `watch: true` or no `watch` at all on its own code, `codeFiles` (its script
 * and the project files it imports, as `start` counts them): not its script's folder, where another
 * worker's file or `pm.config.ts` may live. `watch: false` turns reloading off. A cmd worker is
 * restarted on edits only when `watch` is set: its `watch` paths, or its working folder for
 * `watch: true` (its program is no file of the project).
 */
function devOptions(worker: LoadedWorker, root: string, args: string[], codeFiles: () => string[]): ModeOptions {
  const { watch } = worker.options
  const pmx = worker.options.pmx ?? false
  if (watch === false)
    return { pmx, interpreter_args: args, watch: false }
  if (worker.interpreter === 'bun' && watch === undefined)
    return { pmx, interpreter_args: [...args, '--watch', '--no-clear-screen'], watch: false }
  const ignored = worker.options.ignore_watch ?? []
  if (worker.interpreter === 'cmd' && !watch)
    return { pmx, interpreter_args: args, watch: false }
  if (Array.isArray(watch) || worker.interpreter === 'cmd') {
    return {
      pmx,
      interpreter_args: args,
      watch: Array.isArray(watch) ? watch.map(path => resolve(root, path)) : [resolve(root, worker.options.cwd ?? '.')],
      ignore_watch: [...new Set([...ignored, ...ALWAYS_IGNORED])],
    }
  }
  // Its own code (watchesOwnCode): files, not folders, so nothing to leave out but what the user
  // says (ALWAYS_IGNORED's `dist` would leave out a built script itself). An empty list, not
  // none: PM2's default leaves out every path with a dot folder in it, `~/.projects/app` whole.
  return { pmx, interpreter_args: args, watch: codeFiles(), ignore_watch: [...ignored] }
}

/** In dev, PM2's watcher restarts `worker` on an edit of its own code (its script and what it imports). */
export function watchesOwnCode(worker: LoadedWorker): boolean {
  const { watch } = worker.options
  return worker.interpreter !== 'cmd' && watch !== false && !Array.isArray(watch) && !(worker.interpreter === 'bun' && watch === undefined)
}
