// Preloaded into the PM2 daemons bun-pm spawns: the process list without what bun-pm never reads.
//
// `getMonitorData` answers with every process's whole pm2_env, its environment included (~4.7 KB
// a process: ~1 MB with 200 workers), which the daemon serializes and every `status`, `start`
// and health agent parses on each list. Asked with `{ bunPmSlim: true }` (the light client does),
// each process comes back with only the fields bun-pm reads (process-view.ts, slimDescription);
// asked as PM2's CLI and API ask (`{}`), the answer is PM2's, unchanged.

import type { ProcessDescription } from 'pm2'
import { SLIM_LIST_KEY, slimDescription } from './process-view.ts'

type Done = (error: unknown, list?: ProcessDescription[]) => void

function install(): void {
  // eslint-disable-next-line ts/no-require-imports
  const God = require('pm2/lib/God.js') as { getMonitorData: (env: unknown, done: Done) => void }
  const getMonitorData = God.getMonitorData
  God.getMonitorData = function (this: unknown, env: unknown, done: Done) {
    if (!(env as Record<string, unknown> | null)?.[SLIM_LIST_KEY])
      return getMonitorData.call(this, env, done)
    return getMonitorData.call(this, env, (error, list) => done(error, error || !list ? list : list.map(slimDescription)))
  }
}

install()
