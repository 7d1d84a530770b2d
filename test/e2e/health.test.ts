import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, symlinkSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from '../helpers/cli.ts'
import { fixture, freePort } from '../helpers/dev-session.ts'
import { waitUntil } from '../helpers/net.ts'
import { type TestHome, withHome } from '../helpers/pm2-home.ts'
import { type TempWorkspace, tempWorkspaces } from '../helpers/workspace.ts'

// Every test here owns its PM2 home, ports and folder, so they run at the same time.
const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)

const workspace = (config: string, files: Record<string, string>) => workspaces.make(config, files)

interface WorkerJson { name: string, pid: number | null, status: string, health: string, reason: string | null, restarts: number, lastOkAgoMs: number | null }

async function status(h: TestHome, ws: TempWorkspace): Promise<WorkerJson[]> {
  const result = await h.cli(['status', '--json'], { cwd: ws.root })
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout).workers
}

/** A worker that start reports ready, restarted by the agent after start has exited; returns its row then. */
async function expectRestartedAfterStart(h: TestHome, ws: TempWorkspace, name: string): Promise<WorkerJson> {
  const started = await h.cli(['start', '--json'], { cwd: ws.root })
  expect(`${started.stderr}exit ${started.code}`).toBe('exit 0')
  const first = (JSON.parse(started.stdout).workers as WorkerJson[]).find(w => w.name === name)!
  expect(first.health).toBe('ready')
  // `start` has exited: from here on only the health agent checks.
  return waitUntil(async () => (await status(h, ws)).find(w => w.name === name)!, w => w.restarts >= 1 && w.pid !== null && w.pid !== first.pid, 25_000)
}

describe('liveness after start has returned', () => {
  test.concurrent('an HTTP heartbeat that turns 500: restarted, and status says why', () => withHome(async (h) => {
    const port = freePort()
    const ws = workspace(`{ workers: [{ name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${port}/health',
      options: { env: { PORT: '${port}', TURN_AFTER_MS: '3000' }, health: { interval: '200ms', failures: 3 } } }] }`, { 'web.ts': fixture('health-turns-500.ts') })
    const row = await expectRestartedAfterStart(h, ws, 'web')
    expect(row.reason).toBe('GET /health -> 500, 3 times')
  }), 60_000)

  test.concurrent('a blocked event loop: no answer within the timeout, restarted', () => withHome(async (h) => {
    const port = freePort()
    const ws = workspace(`{ workers: [{ name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${port}/',
      options: { env: { PORT: '${port}', BLOCK_AFTER_MS: '1500' }, health: { interval: '200ms', timeout: '500ms', failures: 2 }, kill_timeout: 500 } }] }`, { 'web.ts': fixture('block-event-loop.ts') })
    const row = await expectRestartedAfterStart(h, ws, 'web')
    expect(row.reason).toBe('GET /: no answer within 500 ms, 2 times')
  }), 60_000)

  test.concurrent('a closed port: the TCP heartbeat is refused, restarted', () => withHome(async (h) => {
    const port = freePort()
    const ws = workspace(`{ workers: [{ name: 'db', bun: 'db.ts', heartbeat: 'tcp://127.0.0.1:${port}',
      options: { env: { PORT: '${port}', CLOSE_AFTER_MS: '1500' }, health: { interval: '200ms', failures: 2 } } }] }`, { 'db.ts': fixture('close-port.ts') })
    const row = await expectRestartedAfterStart(h, ws, 'db')
    expect(row.reason).toBe(`tcp 127.0.0.1:${port}: connection refused, 2 times`)
  }), 60_000)

  for (const interpreter of ['bun', 'node'] as const) {
    test.concurrent(`a worker that stops calling heartbeat(), under ${interpreter}: restarted`, () => withHome(async (h) => {
      const ws = workspace(`{ workers: [{ name: 'beat', ${interpreter}: '${interpreter === 'bun' ? 'beat.ts' : 'dist/beat.js'}', heartbeat: '1s',
        options: { interpreter: '${interpreter}', env: { STOP_AFTER_MS: '1500' }, health: { failures: 2 } } }] }`, { 'beat.ts': fixture('stop-heartbeat.ts') })
      if (interpreter === 'node') {
        // As a user builds a node worker: `heartbeat` from the package, bundled into plain JavaScript.
        const built = await Bun.build({ entrypoints: [join(ws.root, 'beat.ts')], outdir: join(ws.root, 'dist'), target: 'node', conditions: ['bun'] })
        expect(built.success).toBe(true)
      }
      const row = await expectRestartedAfterStart(h, ws, 'beat')
      expect(row.reason).toMatch(/^no heartbeat\(\) for \d(\.\d)? s, 2 times$/)
    }), 60_000)
  }
})

describe('readiness and crash loops in start', () => {
  test.concurrent('never ready: start exits 1 within --timeout, naming the worker, why, and its last lines', () => withHome(async (h) => {
    const port = freePort()
    const ws = workspace(`{ workers: [{ name: 'idle', bun: 'idle.ts', heartbeat: 'http://127.0.0.1:${port}/health' }, { name: 'tick', bun: 'tick.ts' }] }`, {
      'idle.ts': fixture('forever.ts'),
      'tick.ts': fixture('forever.ts'),
    })
    const before = Date.now()
    const result = await h.cli(['start', '--timeout=3'], { cwd: ws.root })
    // Generous: the 3 s, and the command's own start and end on a busy machine.
    expect(Date.now() - before).toBeLessThan(20_000)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error: worker "idle" is not ready: not ready within 3 s: GET \/health: connection refused\n {2}idle \| forever \d+\n$/)
    expect(result.stdout).toMatch(/1 of 2 ready/)
    const rows = await status(h, ws)
    expect(rows.map(w => [w.name, w.health])).toEqual([['idle', 'starting'], ['tick', 'ready']])
  }), 30_000)

  test.concurrent('a worker that exits after 3 s, forever, inside its readiness window: start exits 1, then it stays stopped', () => withHome(async (h) => {
    const ws = workspace(`{ workers: [{ name: 'flaky', bun: 'flaky.ts', options: { max_restarts: 3, health: { readyAfter: '5s' } } }] }`, { 'flaky.ts': fixture('exit-later.ts') })
    const result = await h.cli(['start'], { cwd: ws.root })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('error: worker "flaky" is not ready: errored: it crashed 3 times in a row, each within 30 s of its start (last: exit code 3)')
    expect(result.stderr).toContain('flaky | exiting after 3000 ms')
    // bun-pm stops it: PM2 then lists it stopped, and it is not restarted again.
    // (The agent writes its state file a moment after PM2 lists the stop: on a busy machine, a few hundred ms.)
    const row = await waitUntil(async () => (await status(h, ws))[0]!, w => w.status === 'stopped' && w.health === 'errored', 10_000)
    expect(row).toMatchObject({ status: 'stopped', health: 'errored', pid: null })
    // A negative needs a window: longer than the run that crashed each time (3 s), in which a restart would show.
    await Bun.sleep(3500)
    expect((await status(h, ws))[0]!.restarts).toBe(row!.restarts)
  }), 40_000)

  test.concurrent('the same worker with the default readiness: start returns 0, status shows crash-looping, then errored', () => withHome(async (h) => {
    // max_restarts 6: crash-looping from the 2nd crash to the 6th, ~8 s for status to see it (a
    // busy machine took 4 s for a few status calls: a window of 4 s was missed).
    const ws = workspace(`{ workers: [{ name: 'flaky', bun: 'flaky.ts', options: { max_restarts: 6, env: { AFTER_MS: '2000' } } }] }`, { 'flaky.ts': fixture('exit-later.ts') })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const looping = await waitUntil(async () => (await status(h, ws))[0]!, w => w.health === 'crash-looping', 20_000)
    expect(looping.reason).toBe('exit code 3')
    const errored = await waitUntil(async () => (await status(h, ws))[0]!, w => w.health === 'errored' && w.status === 'stopped', 30_000)
    expect(errored.reason).toBe('it crashed 6 times in a row, each within 30 s of its start (last: exit code 3)')
  }), 60_000)
})

describe('workers that are meant to exit', () => {
  test.concurrent('autorestart: false: exit 0 is done (its dependents start), exit 1 fails start at once', () => withHome(async (h) => {
    const ws = workspace(`{ workers: [
      { name: 'migrate', bun: 'job.ts', options: { autorestart: false, env: { CODE: '0' } } },
      { name: 'api', bun: 'tick.ts', dependsOn: ['migrate'] },
      { name: 'broken', bun: 'job.ts', options: { autorestart: false, env: { CODE: '1' } } },
    ] }`, { 'job.ts': `console.log('job ran')\nif (process.env.CODE !== '0')\n  process.exit(Number(process.env.CODE))\n`, 'tick.ts': fixture('forever.ts') })
    // "At once": long before its --timeout (a busy machine took 11 s for what takes 3 alone).
    const before = Date.now()
    const result = await h.cli(['start', '--group=primary', '--timeout=60'], { cwd: ws.root })
    expect(Date.now() - before).toBeLessThan(40_000)
    expect(result.code).toBe(1)
    expect(result.stderr).toStartWith('error: worker "broken" is not ready: it exited and PM2 does not restart it (exited (exit code 1); PM2 does not restart it)')
    expect(result.stderr).not.toContain('"migrate"')
    expect((await status(h, ws)).map(w => [w.name, w.health])).toEqual([['migrate', 'none'], ['api', 'ready'], ['broken', 'none']])
  }), 60_000)
})

describe('a worker whose interpreter was removed', () => {
  test.concurrent('not ready in status while PM2 lists it online, then errored with the likely cause', () => withHome(async (h) => {
    const ws = workspace(`{ workers: [{ name: 'tick', bun: 'tick.ts' }] }`, { 'tick.ts': fixture('forever.ts') })
    // The workspace's own bun, as npm installs it: bun-pm prefers it to any other.
    mkdirSync(join(ws.root, 'node_modules/.bin'))
    symlinkSync(Bun.which('bun', { PATH: join(REPO, 'node_modules/.bin') })!, join(ws.root, 'node_modules/.bin/bun'))
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const [before] = await status(h, ws)
    unlinkSync(join(ws.root, 'node_modules/.bin/bun'))
    process.kill(before!.pid!, 'SIGKILL')
    const lost = await waitUntil(async () => (await status(h, ws))[0]!, w => w.health === 'unhealthy', 10_000)
    expect(lost).toMatchObject({ pid: null, status: 'online', reason: 'PM2 lists it online, but it has no live process' })
    const errored = await waitUntil(async () => (await status(h, ws))[0]!, w => w.health === 'errored', 30_000)
    expect(errored.reason).toContain('PM2 could not start its process (is its interpreter or script still there?)')
  }), 45_000)
})

describe('start order', () => {
  /** c -> b -> a, each ready 300 ms after its start; d depends on nothing. */
  function chain(): { ws: TempWorkspace, order: () => string[][] } {
    // ORDER_FILE is relative to the worker's cwd, the workspace root.
    const w = (name: string, deps: string[]) => `{ name: '${name}', bun: 'order.ts', heartbeat: '1s', dependsOn: ${JSON.stringify(deps)}, options: { env: { NAME: '${name}', ORDER_FILE: 'order.log' } } }`
    const ws = workspace(`{ workers: [${w('c', ['b'])}, ${w('b', ['a'])}, ${w('a', [])}, ${w('d', [])}] }`, { 'order.ts': fixture('record-order.ts') })
    return { ws, order: () => readFileSync(join(ws.root, 'order.log'), 'utf8').trim().split('\n').map(line => line.split(' ')) }
  }
  const at = (order: string[][], what: string, name: string) => Number(order.find(([w, n]) => w === what && n === name)?.[2])

  test.concurrent('start --workers=c brings in b and a, starts each once what it needs is ready; stop goes in reverse', () => withHome(async (h) => {
    const { ws, order } = chain()
    const result = await h.cli(['start', '--workers=c'], { cwd: ws.root })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('added b, a (c depends on them; --no-deps leaves them out)')
    const started = order()
    expect(at(started, 'start', 'b')).toBeGreaterThanOrEqual(at(started, 'ready', 'a'))
    expect(at(started, 'start', 'c')).toBeGreaterThanOrEqual(at(started, 'ready', 'b'))
    expect(started.some(([, name]) => name === 'd')).toBe(false)
    expect((await h.cli(['stop'], { cwd: ws.root })).code).toBe(0)
    const stops = order().filter(([what]) => what === 'stop').map(([, name]) => name)
    expect(stops).toEqual(['c', 'b', 'a'])
  }), 30_000)

  test.concurrent('--no-deps starts only what was named', () => withHome(async (h) => {
    const { ws, order } = chain()
    const result = await h.cli(['start', '--workers=c', '--no-deps', '--json'], { cwd: ws.root })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).started).toEqual(['c'])
    expect(order().map(([what, name]) => `${what} ${name}`)).toEqual(['start c', 'ready c'])
  }), 30_000)
})
