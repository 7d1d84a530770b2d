// What `r` and `s` do to the selected worker, in a line for the screen: on start's daemon the
// `restart` and `stop` commands' own functions (a rolling replacement where that applies); in a
// dev session PM2's restart and stop of its processes, which the session reports as its own.
import { describeChanges } from '../report/changes.ts'
import type { Pm2Client } from '../pm2/client.ts'
import type { Pm2Bus, ProcView } from '../pm2/process-view.ts'
import { restartTarget } from '../start/run-restart.ts'
import { stopTarget } from '../start/run-stop.ts'
import { resolveTarget } from '../start/target.ts'
import type { Source } from './source.ts'

/** As long as `restart` gives each new process by default. */
const RESTART_TIMEOUT_MS = 30_000

export interface Actions {
  /** Restarts `worker` (every unit of it); resolves with what happened, in a line. */
  restart: (worker: string) => Promise<string>
  /** Stops `worker` when a process of it runs, else starts it again. */
  toggle: (worker: string) => Promise<string>
}

export function actionsFor({ source, cwd, client, bus, procs }: { source: Source, cwd?: string, client: Pm2Client, bus: Pm2Bus, procs: () => ProcView[] }): Actions {
  const running = (worker: string) => procs().some(p => p.name === worker && p.status === 'online')
  const said = (action: () => Promise<string>) => action().catch((error: unknown) => `failed: ${(error as Error).message ?? String(error)}`)

  if (source.kind === 'dev') {
    // The session's daemon is the session's: PM2 restarts or stops the processes; dev sees it happen.
    const each = async (worker: string, act: (pmId: number) => Promise<void>) => {
      const mine = procs().filter(p => p.name === worker)
      if (mine.length === 0)
        throw new Error(`${worker} has no process in the dev session`)
      for (const proc of mine)
        await act(proc.pmId)
    }
    return {
      restart: worker => said(async () => (await each(worker, id => client.restart(id)), `restarted ${worker} (PM2 restart, in the dev session)`)),
      toggle: worker => said(async () => running(worker)
        ? (await each(worker, id => client.stop(id)), `stopped ${worker}; s starts it again`)
        : (await each(worker, id => client.restart(id)), `started ${worker} again`)),
    }
  }

  const restart = async (worker: string) => {
    const selection = { workers: [worker] }
    const target = await resolveTarget('restart', cwd, selection)
    const { changes, failures } = await restartTarget({ target, selection, client, bus, timeoutMs: RESTART_TIMEOUT_MS })
    return failures.length > 0 ? failures.map(f => `${f.name}: ${f.reason}`).join('; ') : describeChanges(changes)
  }
  return {
    restart: worker => said(() => restart(worker)),
    toggle: worker => said(async () => {
      if (!running(worker))
        return restart(worker)
      await stopTarget(await resolveTarget('stop', cwd, { workers: [worker] }), client)
      return `stopped ${worker}; s starts it again`
    }),
  }
}
