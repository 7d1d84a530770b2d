// dev's follow-up to a halt: an errored worker starts again at the next edit of its files.
import { watch } from 'node:fs'
import { dirname } from 'node:path'
import type { Pm2Client } from '../pm2/client.ts'
import type { AfterHalt } from '../report/events.ts'

/**
 * What dev does for an errored worker: start it again at the next change in its script's folder
 * (not for `watch: false`); the first change restarts that unit (the worker, or one replica).
 */
export function createRetryOnEdit(client: Pm2Client, say: (line: string) => void): AfterHalt {
  const armed = new Map<string, () => void>()
  const disarm = (name: string) => {
    armed.get(name)?.()
    armed.delete(name)
  }
  return {
    retries: worker => worker !== undefined && worker.options.watch !== false,
    arm(worker, unit, pmId) {
      if (armed.has(unit))
        return
      const watcher = watch(dirname(worker.script), { recursive: true }, (_event, file) => {
        if (file && /(^|\/)(node_modules|\.git|dist)(\/|$)|\.log$/.test(String(file)))
          return
        disarm(unit)
        say(`${unit} restarting: its files changed`)
        void client.restart(pmId).catch(error => say(`${unit} could not be restarted: ${(error as Error).message}`))
      })
      armed.set(unit, () => watcher.close())
    },
    disarm,
    close: () => [...armed.keys()].forEach(disarm),
  }
}
