import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fetchUntil, fixture, freePort, startDev, stopDev, stopLeftoverRuns } from '../helpers/dev-session.ts'
import { tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
afterEach(stopLeftoverRuns)
afterAll(workspaces.removeAll)

const workspace = (config: string, files: Record<string, string>) => workspaces.make(config, files)

describe('dev: health', () => {
  test('a worker whose port is taken is reported failed with its error; the other keeps running; an edit retries it', async () => {
    const holder = Bun.serve({ port: 0, hostname: '0.0.0.0', fetch: () => new Response('taken') })
    const port = holder.port!
    const ws = workspace(`{ workers: [
      { name: 'web', bun: 'web.ts', options: { env: { PORT: '${port}' } } },
      { name: 'tick', bun: 'tick.ts' },
    ] }`, { 'web.ts': fixture('serve.ts'), 'tick.ts': fixture('forever.ts') })
    const dev = startDev(ws.root)
    try {
      await dev.waitFor(new RegExp(`web failed at startup: Failed to start server\\. Is port ${port} in use\\? \\(EADDRINUSE\\); it waits for an edit of its files\\. The other workers keep running\\.$`, 'm'))
      await dev.waitFor(/1 of 2 workers up in \d+ ms \(2 started\); not ready: web \(errored: failed at startup: .*EADDRINUSE/)
      expect(dev.output()).not.toMatch(/^bun-pm +\| 2 workers up/m)
    }
    finally {
      holder.stop(true)
    }
    const mark = dev.output().length
    ws.write('web.ts', fixture('serve.ts'))
    await dev.waitFor(/web ready: up 1 s without a crash/, { from: mark })
    expect(await fetchUntil(port, 'hello ')).toStartWith('hello ')
    expect(await stopDev(dev)).toBe(130)
  }, 30_000)

  test('an HTTP heartbeat that turns 500: the launcher says unhealthy, then why it restarted the worker', async () => {
    const port = freePort()
    const ws = workspace(`{ workers: [{ name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${port}/health',
      options: { env: { PORT: '${port}', TURN_AFTER_MS: '1000' }, health: { interval: '200ms', failures: 3 } } }] }`, { 'web.ts': fixture('health-turns-500.ts') })
    const dev = startDev(ws.root)
    await dev.waitFor(/web ready: GET \/health -> 200/)
    await dev.waitFor(/1 worker up in \d+ ms/)
    await dev.waitFor(/web unhealthy: GET \/health -> 500 \(3 failures in a row restart it\)/)
    await dev.waitFor(/web restarted \(pid \d+\): GET \/health -> 500, 3 times/, { timeoutMs: 10_000 })
    expect(dev.output()).not.toMatch(/web exited/)
    expect(await stopDev(dev)).toBe(130)
  }, 30_000)

  test('dependsOn: c -> b -> a start in order, each once the one before is ready; Ctrl-C stops them in reverse', async () => {
    const w = (name: string, deps: string[]) => `{ name: '${name}', bun: 'order.ts', heartbeat: '1s', dependsOn: ${JSON.stringify(deps)}, options: { env: { NAME: '${name}', ORDER_FILE: 'order.log' } } }`
    const ws = workspace(`{ workers: [${w('c', ['b'])}, ${w('b', ['a'])}, ${w('a', [])}] }`, { 'order.ts': fixture('record-order.ts') })
    const dev = startDev(ws.root, ['--workers=c'])
    await dev.waitFor(/added b, a \(c depends on them; --no-deps leaves them out\)/)
    await dev.waitFor(/3 workers up in \d+ ms/)
    expect(await stopDev(dev)).toBe(130)
    const lines = readFileSync(join(ws.root, 'order.log'), 'utf8').trim().split('\n').map(line => line.split(' ').slice(0, 2).join(' '))
    expect(lines).toEqual(['start a', 'ready a', 'start b', 'ready b', 'start c', 'ready c', 'stop c', 'stop b', 'stop a'])
  }, 30_000)
})
