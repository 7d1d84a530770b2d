// A daemon's process list, asked for before the config is loaded: the daemon answers on its own
// core while this process imports and evaluates pm.config.ts, and the answer waits in the socket.

import { daemonRunning } from '../pm2/home.ts'
import { connectLight } from '../pm2/light-client.ts'
import type { ProcView } from '../pm2/process-view.ts'

/** A list asked of the daemon of `home`, not yet awaited. */
export interface Listing {
  home: string
  procs: Promise<ProcView[]>
}

/** Asks the daemon of `home` for its list, once connected; undefined when no daemon runs there. */
export async function askList(home: string): Promise<Listing | undefined> {
  if (!daemonRunning(home))
    return undefined
  const client = connectLight(home)
  const procs = client.then(c => c.list())
  // Failing here says nothing yet: whoever awaits the list hears why (or never needs it).
  procs.catch(() => {})
  // Connected and asked before the caller goes on to its own work.
  await client.catch(() => {})
  return { home, procs }
}

/** The processes of the daemon of `home`: from `listed` when it was asked there, else asked now. */
export async function listOf(home: string, listed?: Listing): Promise<ProcView[]> {
  return listed?.home === home ? listed.procs : (await connectLight(home)).list()
}
