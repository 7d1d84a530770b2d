// dev's follow-up to a halt: an errored worker starts again at the next edit of its files.
import { existsSync, watch } from 'node:fs'
import type { Pm2Client } from '../pm2/client.ts'
import { codeDigest } from '../plan/code-digest.ts'
import type { PlannedWorker } from '../plan/plan-workers.ts'
import type { AfterHalt } from '../report/events.ts'
import { watchFiles } from './watch-files.ts'

/**
 * What an errored worker's next start waits for, the same as its watch: the `watch` paths the
 * user wrote (folders, whole), else its own code — its script and the project files it imports,
 * never its script's folder, where another worker's files may be. Pure: reading the code comes in.
 */
export function retryWatch(worker: PlannedWorker, filesOf: (script: string) => string[]): { folders: string[] } | { files: string[] } {
  const { watch } = worker.startOptions
  if (worker.options.watch === false)
    return { folders: [] }
  // A cmd worker's program is no file of the project: only the paths its `watch` names.
  if (worker.interpreter === 'cmd')
    return { folders: Array.isArray(watch) ? watch.filter(path => existsSync(path)) : [] }
  if (Array.isArray(worker.options.watch) && Array.isArray(watch))
    return { folders: watch }
  return { files: worker.watchedCode ?? filesOf(worker.script) }
}

/**
 * What dev does for an errored worker: start it again at the next change of what it watches (not
 * for `watch: false`, nor for a cmd worker without `watch`); the first change restarts that unit (the worker, or one replica).
 */
export function createRetryOnEdit(client: Pm2Client, say: (line: string) => void): AfterHalt {
  const armed = new Map<string, () => void>()
  const disarm = (name: string) => {
    armed.get(name)?.()
    armed.delete(name)
  }
  return {
    retries: (worker) => {
      if (worker === undefined)
        return false
      const what = retryWatch(worker, () => [worker.script])
      return 'files' in what || what.folders.length > 0
    },
    arm(worker, unit, pmId) {
      if (armed.has(unit))
        return
      const retry = () => {
        disarm(unit)
        say(`${unit} restarting: its files changed`)
        void client.restart(pmId).catch(error => say(`${unit} could not be restarted: ${(error as Error).message}`))
      }
      const what = retryWatch(worker, script => codeDigest(script).files)
      if ('files' in what) {
        armed.set(unit, watchFiles(what.files, retry))
        return
      }
      const watchers = what.folders.flatMap((folder) => {
        try {
          return [watch(folder, { recursive: true }, (_event, file) => {
            if (!file || !/(^|\/)(node_modules|\.git|dist)(\/|$)|\.log$/.test(String(file)))
              retry()
          })]
        }
        catch {
          // A path that does not exist (yet): nothing there to wait for.
          return []
        }
      })
      armed.set(unit, () => watchers.forEach(watcher => watcher.close()))
    },
    disarm,
    close: () => [...armed.keys()].forEach(disarm),
  }
}
