import { watch } from 'node:fs'
import { dirname } from 'node:path'
import type { Pm2Client } from '../pm2/client.ts'
import type { PlannedWorker } from '../plan/plan-workers.ts'

/** What dev does for an errored worker: start it again at the next change in its script's folder. */
export interface RetryOnEdit {
  /** True when `worker` is one dev retries (not `watch: false`). */
  retries: (worker: PlannedWorker | undefined) => boolean
  /** Watches the worker's folder; the first change restarts this unit (the worker, or one replica) through PM2. */
  arm: (worker: PlannedWorker, unit: string, pmId: number) => void
  /** The unit runs again: nothing to wait for. */
  disarm: (unit: string) => void
  close: () => void
}

export function createRetryOnEdit(client: Pm2Client, say: (line: string) => void): RetryOnEdit {
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
