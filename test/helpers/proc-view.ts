// A PM2 process as bun-pm sees it, for unit tests: a healthy online one unless told otherwise.

import type { ProcView } from '../../src/pm2/process-view.ts'

export const proc = (over: Partial<ProcView>): ProcView => ({
  name: 'web', pmId: 0, namespace: 'shop', instance: 0, uniqueId: 'u0', pid: 100, status: 'online', restarts: 0, unstableRestarts: 0, exitCode: null, upSince: 1000,
  memory: 30 * 1024 * 1024, cpu: 0, env: {}, interpreterArgs: [], ...over,
})
