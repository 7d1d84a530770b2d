// dev's follow-up to a halt: an errored worker starts again at the next edit of its files.
import { existsSync, watch } from 'node:fs'
import { dirname } from 'node:path'
import type { Pm2Client } from '../pm2/client.ts'
import type { AfterHalt } from '../report/events.ts'
import type { PlannedWorker } from '../plan/plan-workers.ts'

/**
 * What dev does for an errored worker: start it again at the next change in its script's folder
 * (not for `watch: false`); the first change restarts that unit (the worker, or one replica). A cmd
 * worker has no script: its `watch` paths, when it has them, are what it waits on.
 */
export function createRetryOnEdit(client: Pm2Client, say: (line: string) => void): AfterHalt {
  const armed = new Map<string, () => void>()
  const disarm = (name: string) => {
    armed.get(name)?.()
    armed.delete(name)
  }
  return {
    retries: worker => worker !== undefined && editedFolders(worker).length > 0,
    arm(worker, unit, pmId) {
      if (armed.has(unit))
        return
      const watchers = editedFolders(worker).map(folder => watch(folder, { recursive: true }, (_event, file) => {
        if (file && /(^|\/)(node_modules|\.git|dist)(\/|$)|\.log$/.test(String(file)))
          return
        disarm(unit)
        say(`${unit} restarting: its files changed`)
        void client.restart(pmId).catch(error => say(`${unit} could not be restarted: ${(error as Error).message}`))
      }))
      armed.set(unit, () => watchers.forEach(watcher => watcher.close()))
    },
    disarm,
    close: () => [...armed.keys()].forEach(disarm),
  }
}

/** Where an edit starts an errored worker again: its script's folder, a cmd worker's `watch` paths; none for `watch: false`. */
function editedFolders(worker: PlannedWorker): string[] {
  if (worker.options.watch === false)
    return []
  if (worker.interpreter !== 'cmd')
    return [dirname(worker.script)]
  const { watch: paths } = worker.startOptions
  return Array.isArray(paths) ? paths.filter(path => existsSync(path)) : []
}
