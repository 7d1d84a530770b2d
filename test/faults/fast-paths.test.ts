// What start's shortcuts must not cost: it spawns PM2's daemon itself, starts workers in one call
// and need not wait for its health agent. Each case here broke one of those once (a review found them).
import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fixture, freePort } from '../helpers/dev-session.ts'
import { withHome } from '../helpers/pm2-home.ts'
import { tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)

const web = (name: string, port: number, extra = '') => `{ name: '${name}', bun: 'web.ts', heartbeat: 'tcp://127.0.0.1:${port}', options: { env: { PORT: '${port}' }${extra} } }`

describe('start\'s fast paths', () => {
  test.concurrent('a worker that ends for good before the agent listens (a stop_exit_code) is judged, not waited for', async () => {
    await withHome(async (h) => {
      const port = freePort()
      const ws = workspaces.make(`{ workers: [${web('web', port)}, { name: 'job', bun: 'job.ts', heartbeat: 'tcp://127.0.0.1:${freePort()}', options: { stop_exit_codes: [0], restart_delay: 0 } }] }`, { 'web.ts': fixture('serve.ts'), 'job.ts': 'process.exit(0)\n' })
      const before = Date.now()
      const started = await h.cli(['start', '--timeout=20'], { cwd: ws.root })
      expect(`${started.stderr}exit ${started.code}`).toBe('exit 0')
      expect(Date.now() - before).toBeLessThan(10_000)
    })
  }, 30_000)

  test.concurrent('a daemon that answers though pm2.pid is gone is used, not doubled', async () => {
    await withHome(async (h) => {
      const port = freePort()
      const ws = workspaces.make(`{ workers: [${web('web', port)}] }`, { 'web.ts': fixture('serve.ts') })
      expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
      const daemons = () => h.processes().filter(pid => Bun.spawnSync(['cat', `/proc/${pid}/cmdline`]).stdout.toString().includes('Daemon.js'))
      expect(daemons()).toHaveLength(1)
      rmSync(join(h.path, 'pm2.pid'))
      const again = await h.cli(['start', '--timeout=20'], { cwd: ws.root })
      expect(`${again.stderr}exit ${again.code}`).toBe('exit 0')
      expect(daemons()).toHaveLength(1)
      // The home's cleanup finds its daemon by pm2.pid.
      writeFileSync(join(h.path, 'pm2.pid'), String(daemons()[0]))
    })
  }, 30_000)
})
