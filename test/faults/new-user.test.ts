// Wrong answers a new user hit on a real project (issue 16): each case as what must hold.
import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.ts'
import { expectNothingLeft, fetchText, fixture, startDev, stopDev, stopLeftoverRuns } from '../helpers/dev-session.ts'
import { allPids, cmdlineOf, isAlive, parentOf } from '../../src/os/processes.ts'
import { freePort, waitUntil } from '../helpers/net.ts'
import { type TestHome, withHome } from '../helpers/pm2-home.ts'
import { type TempWorkspace, tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
afterEach(stopLeftoverRuns)
afterAll(workspaces.removeAll)

interface Row { name: string, pid: number | null, status: string, health: string, reason: string | null }

async function status(h: TestHome, ws: TempWorkspace): Promise<Row[]> {
  const result = await h.cli(['status', '--json'], { cwd: ws.root })
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout).workers
}

/** The lines of an ORDER_FILE as [what, name, ms]. */
const order = (ws: TempWorkspace) => readFileSync(join(ws.root, 'order.log'), 'utf8').trim().split('\n').map(line => line.split(' '))
const at = (lines: string[][], what: string, name: string) => Number(lines.find(([w, n]) => w === what && n === name)?.[2])

describe('a routine stop and start', () => {
  test.concurrent('start after a bare stop: the new health agent is heard, the worker is ready, exit 0', () => withHome(async (h) => {
    // A push heartbeat makes start wait for the agent's hello: the wait a reused PM2 id made deaf.
    const ws = workspaces.make(`{ workers: [{ name: 'tick', bun: 'tick.ts', heartbeat: '5s' }] }`, { 'tick.ts': `import { heartbeat } from 'bun-pm'\nheartbeat()\nsetInterval(heartbeat, 500)\n` })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    expect((await h.cli(['stop'], { cwd: ws.root })).code).toBe(0)
    const again = await h.cli(['start', '--timeout=20'], { cwd: ws.root })
    expect(`${again.stderr}exit ${again.code}`).toBe('exit 0')
    expect(again.stdout).toMatch(/^restarted tick \(config changed or not running\); ready in \d+ ms/)
    expect((await status(h, ws))[0]).toMatchObject({ name: 'tick', status: 'online', health: 'ready' })
  }), 40_000)
})

describe('a one-shot job (autorestart: false)', () => {
  const config = (code: number) => `{ workers: [
    { name: 'migrate', bun: 'job.ts', options: { autorestart: false, env: { NAME: 'migrate', CODE: '${code}', WORK_MS: '1500', ORDER_FILE: 'order.log' } } },
    { name: 'api', bun: 'order.ts', heartbeat: '1s', dependsOn: ['migrate'], options: { env: { NAME: 'api', ORDER_FILE: 'order.log', READY_MS: '50' } } },
  ] }`
  const files = () => ({ 'job.ts': fixture('job.ts'), 'order.ts': fixture('record-order.ts') })

  test.concurrent('start: ready when it exits 0, not when it has run 1 s; its dependent starts after that', () => withHome(async (h) => {
    const ws = workspaces.make(config(0), files())
    const result = await h.cli(['start', '--timeout=20'], { cwd: ws.root })
    expect(`${result.stderr}exit ${result.code}`).toBe('exit 0')
    const lines = order(ws)
    expect(at(lines, 'start', 'api')).toBeGreaterThanOrEqual(at(lines, 'done', 'migrate'))
    expect((await status(h, ws)).map(w => [w.name, w.health])).toEqual([['migrate', 'none'], ['api', 'ready']])
    // Done with this version: start again keeps it (and what depends on it); a new version runs it again.
    const again = await h.cli(['start', '--timeout=20'], { cwd: ws.root })
    expect(`${again.stderr}exit ${again.code}`).toBe('exit 0')
    expect(again.stdout).toMatch(/^unchanged migrate, api; ready in \d+ ms/)
    expect((await h.cli(['start', '--dry-run'], { cwd: ws.root })).stdout).toMatch(/migrate +keep: done: exited 0 with this version/)
    expect(order(ws).filter(([what, name]) => what === 'done' && name === 'migrate')).toHaveLength(1)
    // A bare stop stops the health agent too: the next start's agent finds the job done, not waits on it.
    expect((await h.cli(['stop'], { cwd: ws.root })).code).toBe(0)
    const began = Date.now()
    const afterStop = await h.cli(['start', '--timeout=20'], { cwd: ws.root })
    expect(`${afterStop.stderr}exit ${afterStop.code}`).toBe('exit 0')
    expect(Date.now() - began).toBeLessThan(15_000)
    writeFileSync(join(ws.root, '.env'), 'RELEASE=2\n')
    const released = await h.cli(['start', '--timeout=20'], { cwd: ws.root })
    expect(`${released.stderr}exit ${released.code}`).toBe('exit 0')
    expect(order(ws).filter(([what, name]) => what === 'done' && name === 'migrate')).toHaveLength(2)
  }), 90_000)

  test.concurrent('start: an exit 1 fails start, and what depends on it is not started and not called started', () => withHome(async (h) => {
    const ws = workspaces.make(config(1), files())
    const result = await h.cli(['start', '--timeout=20'], { cwd: ws.root })
    expect(result.code).toBe(1)
    expect(result.stdout.split('\n')[0]).toMatch(/^started migrate; not started api \(a dependency is not ready\); 0 of 2 ready in \d+ ms/)
    expect(result.stderr).toContain('error: worker "migrate" is not ready: it exited and PM2 does not restart it (exited (exit code 1); PM2 does not restart it)')
    expect(result.stderr).toContain('error: worker "api" is not ready: not started: it depends on "migrate", which is not ready (it exited and PM2 does not restart it')
    expect(order(ws).some(([what, name]) => what === 'start' && name === 'api')).toBe(false)
    const json = await h.cli(['start', '--timeout=20', '--json'], { cwd: ws.root })
    expect(JSON.parse(json.stdout)).toMatchObject({ notStarted: ['api'], readyInMs: null })
  }), 60_000)

  test('dev: "done" when it exits 0, and only then does its dependent start', async () => {
    const ws = workspaces.make(config(0), files())
    const dev = startDev(ws.root)
    await dev.waitFor(/migrate done: exited with code 0 \d(\.\d)? s after its start/)
    await dev.waitFor(/2 workers up in \d+ ms/)
    const out = dev.output()
    expect(out).not.toContain('migrate ready')
    expect(out.indexOf('api started')).toBeGreaterThan(out.indexOf('migrate done'))
    expect(await stopDev(dev)).toBe(130)
  }, 30_000)
})

describe('a one-shot job a signal ends (the OOM killer, kill -9)', () => {
  test.concurrent('is not done: start fails naming the signal, its dependent is not started, and status says killed by SIGKILL', () => withHome(async (h) => {
    const ws = workspaces.make(`{ workers: [
      { name: 'migrate', bun: 'job.ts', options: { autorestart: false, env: { WORK_MS: '60000' } } },
      { name: 'api', bun: 'job.ts', dependsOn: ['migrate'], options: { env: { WORK_MS: '60000' } } },
    ] }`, { 'job.ts': fixture('job.ts') })
    const starting = h.cli(['start', '--timeout=30'], { cwd: ws.root })
    const pid = await waitUntil(async () => (await status(h, ws)).find(w => w.name === 'migrate')?.pid, found => Boolean(found), 15_000, 100)
    process.kill(pid!, 'SIGKILL')
    const result = await starting
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('error: worker "migrate" is not ready: it exited and PM2 does not restart it (exited (killed by SIGKILL); PM2 does not restart it)')
    expect(result.stdout).toMatch(/not started api/)
    const [migrate] = await status(h, ws)
    expect(migrate).toMatchObject({ name: 'migrate', pid: null, reason: 'exited (killed by SIGKILL); PM2 does not restart it' })
  }), 60_000)
})

describe('a check judges the worker\'s own process', () => {
  test.concurrent('a port another process holds: the http and tcp checks fail, naming that process, and start says why', () => withHome(async (h) => {
    // This test's own process holds both ports: the answers the checks get are not the workers'.
    const http = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('not yours') })
    const tcp = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    try {
      const ws = workspaces.make(`{ workers: [
        { name: 'api', bun: 'stay.ts', heartbeat: 'http://127.0.0.1:${http.port}/health', options: { env: { PORT: '${http.port}' } } },
        { name: 'redis', bun: 'stay.ts', heartbeat: 'tcp://127.0.0.1:${tcp.port}', options: { env: { PORT: '${tcp.port}' } } },
      ] }`, { 'stay.ts': fixture('listen-or-stay.ts') })
      const result = await h.cli(['start', '--timeout=4'], { cwd: ws.root })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(new RegExp(`error: worker "api" is not ready: not ready within 4 s: GET /health -> 200, but from another process \\(pid ${process.pid}: [^)]+\\), not api: port ${http.port} is taken`))
      expect(result.stderr).toMatch(new RegExp(`error: worker "redis" is not ready: not ready within 4 s: tcp 127\\.0\\.0\\.1:${tcp.port}: connected, but from another process \\(pid ${process.pid}: [^)]+\\), not redis: port ${tcp.port} is taken`))
      expect((await status(h, ws)).map(w => w.health)).toEqual(['starting', 'starting'])
    }
    finally {
      http.stop(true)
      tcp.stop(true)
    }
  }), 40_000)

  test('dev while start runs the workspace: it says so, and leaves out the worker whose production process holds its port, reusePort or not', () => withHome(async (h) => {
    const port = freePort()
    const ws = workspaces.make(`{ workers: [
      { name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${port}/health', options: { env: { PORT: '${port}', VERSION: 'prod' } } },
      { name: 'tick', bun: 'tick.ts' },
    ] }`, { 'web.ts': fixture('serve-versioned.ts'), 'tick.ts': fixture('forever.ts') })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const before = await status(h, ws)
    const dev = startDev(ws.root, [], { env: { PM2_HOME: h.path } })
    await dev.waitFor(new RegExp(`note: \`start\` already runs this workspace on the PM2 daemon of ${h.path} \\(web, tick\\); dev leaves it alone`))
    await dev.waitFor(new RegExp(`not started: web: \`start\` runs it on the PM2 daemon of ${h.path} \\(pid ${before[0]!.pid}, listening on ${port}\\); a dev copy would share that port and serve production traffic`))
    // A worker that listens on nothing runs in dev beside its production process.
    await dev.waitFor(/1 worker up in \d+ ms \([^)]*\): tick/)
    expect(dev.output()).not.toMatch(/web (started|ready)/)
    // Production answers, and is still the process it was, judged ready by its own agent.
    expect(await fetchText(port)).toStartWith('prod ')
    expect(await stopDev(dev)).toBe(130)
    expect((await status(h, ws)).map(r => [r.name, r.pid, r.health])).toEqual(before.map(r => [r.name, r.pid, 'ready']))
  }), 60_000)
})

describe('dev under a parent that does not pass signals on', () => {
  test('the parent (npx, npm exec, sh -c) dies of a SIGTERM: dev stops every process of its session', async () => {
    const ws = workspaces.make(`{ workers: [{ name: 'tick', bun: 'tick.ts' }] }`, { 'tick.ts': fixture('forever.ts') })
    const dev = startDev(ws.root, [], { viaShell: true })
    await dev.waitFor(/1 worker up in \d+ ms/)
    const launcher = allPids().find(pid => parentOf(pid) === dev.pid)!
    expect(cmdlineOf(launcher)).toContain('exec-process.ts dev')
    dev.proc.kill('SIGTERM')
    await dev.exited
    // The shell is gone, the launcher lives on without it: it notices, and stops as on SIGTERM.
    await waitUntil(() => isAlive(launcher), alive => !alive, 15_000)
    await expectNothingLeft(ws.root, launcher)
  }, 40_000)
})

describe('start\'s words', () => {
  test.concurrent('the last lines of a failure are this run\'s, not an earlier run\'s', () => withHome(async (h) => {
    const ws = workspaces.make(`{ workers: [{ name: 'bad', bun: 'bad.ts', options: { max_restarts: 2 } }] }`, {
      'bad.ts': `console.error(\`run \${process.env.RUN}\`)\nprocess.exit(1)\n`,
      '.env': 'RUN=first\n',
    })
    const first = await h.cli(['start', '--timeout=15'], { cwd: ws.root })
    expect(first.code).toBe(1)
    expect(first.stderr).toContain('bad | run first')
    writeFileSync(join(ws.root, '.env'), 'RUN=second\n')
    const second = await h.cli(['start', '--timeout=15'], { cwd: ws.root })
    expect(second.code).toBe(1)
    expect(second.stderr).toContain('bad | run second')
    expect(second.stderr).not.toContain('run first')
  }), 40_000)

  test.concurrent('status forgets an old crash once someone restarts the worker and it is ready', () => withHome(async (h) => {
    // Crashes on its first run only; PM2 restarts it, and status says why.
    const ws = workspaces.make(`{ workers: [{ name: 'once', bun: 'once.ts' }] }`, {
      'once.ts': `import { existsSync, writeFileSync } from 'node:fs'\nif (!existsSync('crashed')) { writeFileSync('crashed', ''); setTimeout(() => process.exit(3), 200) }\nsetInterval(() => {}, 1 << 30)\n`,
    })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    await waitUntil(async () => (await status(h, ws))[0]!, w => w.reason === 'exit code 3' && w.health === 'ready', 15_000)
    expect((await h.cli(['restart'], { cwd: ws.root })).code).toBe(0)
    expect((await status(h, ws))[0]).toMatchObject({ health: 'ready', reason: null })
  }), 40_000)

  test.concurrent('--help into a pipe is plain text', async () => {
    // Not a terminal, and no NO_COLOR: the pipe alone must turn colours off.
    const result = await runCli(['start', '--help'], { env: { NO_COLOR: undefined, FORCE_COLOR: undefined } })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('USAGE bun-pm start')
    expect(result.stdout).not.toContain('\x1B[')
  }, 20_000)
})
