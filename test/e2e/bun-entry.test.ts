import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from '../helpers/cli.ts'
import { fetchUntil, fixture, freePort, startDev, stopDev, stopLeftoverRuns } from '../helpers/dev-session.ts'
import { withHome } from '../helpers/pm2-home.ts'
import { makeWorkspace, type TempWorkspace } from '../helpers/workspace.ts'

const made: TempWorkspace[] = []
afterEach(stopLeftoverRuns)
afterAll(() => made.forEach(ws => ws.remove()))

/** The ways a bun worker can serve, each on its own port, with the real hono and elysia packages. */
function servers(): { ws: TempWorkspace, ports: Record<string, number> } {
  const ports = { 'hono-default': freePort(), 'hono-app': freePort(), 'elysia': freePort(), 'awaited': freePort(), 'plain': freePort() }
  const scripts = { 'hono-default': 'hono-default.ts', 'hono-app': 'hono-app.ts', 'elysia': 'elysia-listen.ts', 'awaited': 'top-level-await.ts', 'plain': 'serve.ts' }
  const workers = Object.entries(ports).map(([name, port]) =>
    `{ name: '${name}', bun: '${scripts[name as keyof typeof scripts]}', heartbeat: 'http://127.0.0.1:${port}/', options: { env: { PORT: '${port}' } } }`)
  const ws = makeWorkspace(Object.fromEntries(Object.values(scripts).map(file => [file, fixture(file)])), { config: `{ workers: [${workers.join(', ')}] }` })
  for (const pkg of ['hono', 'elysia'])
    symlinkSync(join(REPO, 'node_modules', pkg), join(ws.root, 'node_modules', pkg))
  made.push(ws)
  return { ws, ports }
}

const expected = { 'hono-default': 'hono ', 'hono-app': 'hono-app ', 'elysia': 'elysia ', 'awaited': 'awaited ', 'plain': 'hello ' }

describe('bun workers are run as `bun file.ts` runs them', () => {
  test('start: a default-exported server (Hono), an app that listens (Elysia), a top-level await, a plain Bun.serve: all ready and serving', () => withHome(async (h) => {
    const { ws, ports } = servers()
    const result = await h.cli(['start', '--group=primary'], { cwd: ws.root })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    for (const [name, port] of Object.entries(ports))
      expect(await fetchUntil(port, expected[name as keyof typeof expected])).toStartWith(expected[name as keyof typeof expected])
  }), 40_000)

  test('dev: the same, and an edit of the Hono worker reloads it in place, still served', async () => {
    const { ws, ports } = servers()
    const dev = startDev(ws.root)
    await dev.waitFor(/5 workers up in \d+ ms/)
    for (const [name, port] of Object.entries(ports))
      expect(await fetchUntil(port, expected[name as keyof typeof expected])).toStartWith(expected[name as keyof typeof expected])
    ws.write('hono-default.ts', fixture('hono-default.ts').replace('`hono ${process.pid}`', '`edited ${process.pid}`'))
    expect(await fetchUntil(ports['hono-default']!, 'edited ', 10_000)).toStartWith('edited ')
    expect(await stopDev(dev)).toBe(130)
  }, 40_000)
})
