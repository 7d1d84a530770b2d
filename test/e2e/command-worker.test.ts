// A program as a worker (`cmd`): a real redis-server (Debian's redis-server package; .ci/run
// installs it) under `start` and `dev`, checked by a tcp heartbeat, stopped with its whole tree.
import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { readFileSync } from 'node:fs'
import { descendantsOf, isAlive } from '../../src/os/processes.ts'
import { expectNothingLeft, sessionWorkers, startDev, stopDev, stopLeftoverRuns, workerPids } from '../helpers/dev-session.ts'
import { freePorts, listenersOn } from '../helpers/net.ts'
import { join } from 'node:path'
import { runCli } from '../helpers/cli.ts'
import { makePm2Home, type TestHome, withHome } from '../helpers/pm2-home.ts'
import { composeErrors, kubernetesErrors, systemdErrors } from '../helpers/validators.ts'
import { tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
let homes: TestHome[] = []
afterEach(async () => {
  await stopLeftoverRuns()
  for (const home of homes)
    await home.close()
  homes = []
}, 30_000)
afterAll(workspaces.removeAll)

function home(): TestHome {
  const h = makePm2Home()
  homes.push(h)
  return h
}

/** What redis answers to PING on `port` (`+PONG`), or the error. */
function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'))
    socket.setTimeout(3000, () => socket.destroy(new Error('no answer')))
    socket.once('data', (data) => {
      resolve(data.toString().trim())
      socket.end()
    })
    socket.once('error', error => resolve(`error: ${error.message}`))
  })
}

/**
 * The redis-server processes in the trees of `roots`, by the kernel's name for them. Found by the
 * tree, not by the environment: redis-server rewrites its process title over its environment, so
 * /proc/<pid>/environ of it is blank (the helpers that look for PM2_HOME there do not see it).
 */
function redisIn(roots: number[]): number[] {
  return [...roots, ...descendantsOf(roots)].filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').includes(' (redis-server) ')
    }
    catch {
      return false
    }
  })
}

type StatusRow = { name: string, pid: number | null, status: string, health: string, interpreter: string, restarts: number }

/** A bun worker that asks redis (REDIS_PORT) once at its start, and exits 1 when nothing answers. */
const ASKS_REDIS = `import { connect } from 'node:net'
const socket = connect({ host: '127.0.0.1', port: Number(process.env.REDIS_PORT) }, () => socket.write('PING\\r\\n'))
socket.once('data', (data) => { console.log('redis said ' + data.toString().trim()); socket.end() })
socket.once('error', (error) => { console.error('no redis: ' + error.message); process.exit(1) })
setInterval(() => {}, 1000)
`
async function status(h: TestHome, root: string): Promise<StatusRow[]> {
  const result = await h.cli(['status', '--json'], { cwd: root })
  return JSON.parse(result.stdout).workers
}

/** redis without persistence: nothing written into the workspace. */
const REDIS = (port: number | string) => `'redis-server', '--port', '${port}', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'`

describe('a command worker under start', () => {
  test('redis-server as [program, ...args]: ready by its tcp heartbeat, `cmd` in status, the same pid on a second start, replaced when its command changes and by restart, nothing left after stop', async () => {
    const h = home()
    const [port] = [freePorts(1)]
    const config = (extra: string) => `{ workers: [{ name: 'redis', cmd: [${REDIS(port!)}${extra}], heartbeat: 'tcp://127.0.0.1:${port}' }] }`
    const ws = workspaces.make(config(''))
    const started = await h.cli(['start'], { cwd: ws.root })
    expect(started.stderr).toBe('')
    expect(started.code).toBe(0)
    expect(started.stdout).toMatch(/^started redis; ready in \d+ ms/)
    expect(started.stdout).toMatch(/redis +primary +\d+ +online +ready .* cmd\n/)
    expect(await ping(port!)).toBe('+PONG')
    const [row] = await status(h, ws.root)
    expect(row).toMatchObject({ name: 'redis', status: 'online', health: 'ready', interpreter: 'cmd' })
    expect(redisIn([row!.pid!])).toEqual([row!.pid!])
    // Its output is the worker's log, as any worker's.
    const logs = await h.cli(['logs', '--no-follow', '--workers=redis'], { cwd: ws.root })
    expect(logs.stdout).toMatch(/redis +\| .*Ready to accept connections/)

    const again = await h.cli(['start', '--json'], { cwd: ws.root })
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout).kept).toEqual(['redis'])
    expect((await status(h, ws.root))[0]!.pid).toBe(row!.pid)

    ws.write('pm.config.ts', (await Bun.file(`${ws.root}/pm.config.ts`).text()).replace(`'no']`, `'no', '--maxclients', '100']`))
    const changed = await h.cli(['start', '--json'], { cwd: ws.root })
    expect(changed.code).toBe(0)
    expect(JSON.parse(changed.stdout).replaced).toEqual(['redis'])
    const [after] = await status(h, ws.root)
    expect(after).toMatchObject({ status: 'online', health: 'ready' })
    expect(after!.pid).not.toBe(row!.pid)
    expect(isAlive(row!.pid!)).toBe(false)
    expect(await ping(port!)).toBe('+PONG')

    // A rebuilt program is not seen (no code part): `restart` replaces it.
    expect((await h.cli(['restart', '--workers=redis'], { cwd: ws.root })).code).toBe(0)
    const [restarted] = await status(h, ws.root)
    expect(restarted).toMatchObject({ status: 'online', health: 'ready' })
    expect(restarted!.pid).not.toBe(after!.pid)
    expect(isAlive(after!.pid!)).toBe(false)

    expect((await h.cli(['stop'], { cwd: ws.root })).code).toBe(0)
    expect(isAlive(restarted!.pid!)).toBe(false)
    expect(listenersOn(port!)).toBe(0)
  }, 60_000)

  test('a command line runs under /bin/sh -c: $PORT expands from the worker\'s env, the shell\'s child is the worker\'s (its heartbeat passes), a dependent starts once it answers, and stop takes both', async () => {
    const h = home()
    const port = freePorts(1)
    // `&& …` keeps the shell as the parent: redis-server is its child, not the process PM2 started.
    const ws = workspaces.make(`{ workers: [
      { name: 'cache', cmd: "redis-server --port $PORT --bind 127.0.0.1 --save '' --appendonly no && echo done", heartbeat: 'tcp://127.0.0.1:${port}', options: { env: { PORT: '${port}' } } },
      { name: 'app', bun: 'app.ts', dependsOn: ['cache'], options: { env: { REDIS_PORT: '${port}' } } },
    ] }`, { 'app.ts': ASKS_REDIS })
    const started = await h.cli(['start'], { cwd: ws.root })
    expect(started.stderr).toBe('')
    expect(started.code).toBe(0)
    expect(started.stdout).toMatch(/cache +primary +\d+ +online +ready /)
    expect(await ping(port)).toBe('+PONG')
    const [row] = await status(h, ws.root)
    const [redis] = redisIn([row!.pid!])
    expect(redis).toBeNumber()
    expect(redis).not.toBe(row!.pid!)
    expect(readFileSync(`/proc/${redis}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]).toBe(String(row!.pid))
    // The app started once cache was ready: its first run got an answer (a refused connection exits 1).
    const app = await h.cli(['logs', '--no-follow', '--workers=app'], { cwd: ws.root })
    expect(app.stdout).toContain('redis said +PONG')
    expect((await status(h, ws.root)).find(w => w.name === 'app')).toMatchObject({ status: 'online', restarts: 0 })

    expect((await h.cli(['stop'], { cwd: ws.root })).code).toBe(0)
    expect(isAlive(row!.pid!)).toBe(false)
    expect(isAlive(redis!)).toBe(false)
    expect(listenersOn(port)).toBe(0)
  }, 60_000)

  test('a program that is not there: one line naming the file, the worker and the fix; nothing started', async () => {
    const h = home()
    const ws = workspaces.make(`{ workers: [{ name: 'ghost', cmd: ['no-such-program-bun-pm', '--x'] }] }`)
    const result = await h.cli(['start'], { cwd: ws.root })
    expect(result.code).not.toBe(0)
    expect(result.stderr.trim()).toBe(`error: pm.config.ts: worker "ghost": the program of \`cmd\`, "no-such-program-bun-pm", was not found in ${ws.root}/node_modules/.bin or on PATH; install it, or give its path`)
    expect(h.processes()).toEqual([])
  }, 30_000)
})

describe('a command worker under dev', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal}: redis as a program and a shell's child both go; nothing is left`, async () => {
      const [a, b] = [freePorts(1), freePorts(1)]
      const ws = workspaces.make(`{ workers: [
        { name: 'redis', cmd: [${REDIS(a)}], heartbeat: 'tcp://127.0.0.1:${a}' },
        { name: 'cache', cmd: "redis-server --port $PORT --bind 127.0.0.1 --save '' --appendonly no && echo done", heartbeat: 'tcp://127.0.0.1:${b}', options: { env: { PORT: '${b}' } } },
      ] }`)
      const dev = startDev(ws.root)
      await dev.waitFor(/2 workers up in \d+ ms/, { timeoutMs: 30_000 })
      expect(await ping(a)).toBe('+PONG')
      expect(await ping(b)).toBe('+PONG')
      // redis, and the shell (which carries the session's variable) with its redis child.
      const redis = redisIn([dev.pid])
      expect(redis.length).toBe(2)
      const workers = [...redis, ...sessionWorkers(ws.root)]
      dev.proc.kill(signal)
      expect(await dev.exited).toBe(signal === 'SIGINT' ? 130 : 143)
      await expectNothingLeft(ws.root, dev.pid)
      expect(workers.filter(isAlive)).toEqual([])
      expect([listenersOn(a), listenersOn(b)]).toEqual([0, 0])
    }, 60_000)
  }

  test('an edit of its cmd in pm.config.ts restarts it alone; the other keeps its pid', async () => {
    const [a, b] = [freePorts(1), freePorts(1)]
    const ws = workspaces.make(`{ workers: [
      { name: 'redis', cmd: [${REDIS(a)}], heartbeat: 'tcp://127.0.0.1:${a}' },
      { name: 'cache', cmd: "redis-server --port $PORT --bind 127.0.0.1 --save '' --appendonly no && echo done", heartbeat: 'tcp://127.0.0.1:${b}', options: { env: { PORT: '${b}' } } },
    ] }`)
    const dev = startDev(ws.root, [], { watch: true })
    await dev.waitFor(/2 workers up in \d+ ms/, { timeoutMs: 30_000 })
    const before = workerPids(dev.output())
    const redis = redisIn([dev.pid])
    const mark = dev.output().length
    ws.write('pm.config.ts', readFileSync(join(ws.root, 'pm.config.ts'), 'utf8').replace(`'no']`, `'no', '--maxclients', '100']`))
    await dev.waitFor(/up in \d+ ms \(1 restarted, 1 unchanged\)/, { from: mark, timeoutMs: 30_000 })
    // The new process's line, with its pid, is said above the summary.
    const reload = dev.output().slice(mark)
    expect(reload.search(/\| redis (?:started|restarted) \(pid \d+\)/)).toBeWithin(0, reload.search(/up in \d+ ms/))
    const after = workerPids(dev.output())
    expect(before.get('cache')).toBeNumber()
    expect(after.get('cache')).toBe(before.get('cache')!)
    expect(after.get('redis')).not.toBe(before.get('redis')!)
    expect(isAlive(before.get('redis')!)).toBe(false)
    expect(await ping(a)).toBe('+PONG')
    const all = [...redis, ...redisIn([dev.pid])]
    expect(await stopDev(dev)).toBe(130)
    expect(all.filter(isAlive)).toEqual([])
  }, 60_000)

  test('an edit restarts a cmd worker only on its own `watch` paths; one without `watch` keeps its pid', async () => {
    const port = freePorts(1)
    const ws = workspaces.make(`{ workers: [
      { name: 'redis', cmd: [${REDIS(port)}], heartbeat: 'tcp://127.0.0.1:${port}', options: { watch: ['conf'] } },
      { name: 'idle', cmd: ['sleep', '1000'] },
    ] }`, { 'conf/redis.conf': '# v0\n' })
    const dev = startDev(ws.root)
    await dev.waitFor(/2 workers up in \d+ ms/, { timeoutMs: 30_000 })
    const before = workerPids(dev.output())
    const mark = dev.output().length
    // PM2's watcher says nothing when it is ready: the edit is made again until the restart shows.
    let edits = 0
    const editing = setInterval(() => ws.write('conf/redis.conf', `# v${++edits}\n`), 2000)
    ws.write('conf/redis.conf', '# edited\n')
    try {
      await dev.waitFor(/redis restarted \(pid \d+\): file change: .*redis\.conf/, { from: mark, timeoutMs: 30_000 })
    }
    finally {
      clearInterval(editing)
    }
    const after = workerPids(dev.output())
    expect(after.get('redis')).not.toBe(before.get('redis')!)
    expect(after.get('idle')).toBe(before.get('idle')!)
    expect(isAlive(before.get('idle')!)).toBe(true)
    const redis = redisIn([dev.pid])
    expect(await stopDev(dev)).toBe(130)
    expect(redis.filter(isAlive)).toEqual([])
  }, 60_000)

  test('SIGKILL of the launcher: its watchdog ends both redis processes too', async () => {
    const port = freePorts(1)
    const ws = workspaces.make(`{ workers: [{ name: 'cache', cmd: "redis-server --port $PORT --bind 127.0.0.1 --save '' --appendonly no && echo done", heartbeat: 'tcp://127.0.0.1:${port}', options: { env: { PORT: '${port}' } } }] }`)
    const dev = startDev(ws.root)
    await dev.waitFor(/1 worker up in \d+ ms/, { timeoutMs: 30_000 })
    expect(await ping(port)).toBe('+PONG')
    const redis = redisIn([dev.pid])
    expect(redis.length).toBe(1)
    // The watchdog notes what is below the launcher every 500 ms.
    await Bun.sleep(1000)
    dev.proc.kill('SIGKILL')
    await dev.exited
    await expectNothingLeft(ws.root, dev.pid, 10_000)
    expect(redis.filter(isAlive)).toEqual([])
    expect(listenersOn(port)).toBe(0)
  }, 60_000)
})

describe('a command worker exported', () => {
  const exported = async (to: string, root: string) => {
    const out = join(root, `deploy-${to}`)
    const result = await runCli(['export', `--to=${to}`, `--out=${out}`], { cwd: root })
    expect(`${result.stderr}exit ${result.code}`).toEndWith('exit 0')
    return { out, stderr: result.stderr }
  }
  const config = (a: number, b: number) => `{ workers: [
    { name: 'redis', cmd: [${REDIS(a)}], heartbeat: 'tcp://127.0.0.1:${a}' },
    { name: 'cache', cmd: "redis-server --port $PORT --bind 127.0.0.1 --save '' --appendonly no && echo done", heartbeat: 'tcp://127.0.0.1:${b}', options: { env: { PORT: '${b}' } } },
  ] }`

  test('Compose, Kubernetes and systemd run the command, each valid for its engine; the image\'s missing program is said', async () => {
    const ws = workspaces.make(config(6390, 6391))
    const compose = await exported('compose', ws.root)
    const composeFile = readFileSync(join(compose.out, 'compose.yaml'), 'utf8')
    expect(composeErrors(composeFile)).toEqual([])
    expect(composeFile).toContain(`command:\n      - redis-server\n      - --port\n      - "6390"`)
    expect(composeFile).toContain(`command:\n      - /bin/sh\n      - -c\n      - redis-server --port $$PORT`)
    expect(compose.stderr).toContain('note: redis: runs redis-server (')
    expect(compose.stderr).toContain('note: cache: runs `redis-server --port $PORT')
    const k8s = await exported('kubernetes', ws.root)
    expect(kubernetesErrors(readFileSync(join(k8s.out, 'kubernetes.yaml'), 'utf8'))).toEqual([])
    const systemd = await exported('systemd', ws.root)
    const units = ['redis', 'cache'].map(name => join(systemd.out, `${ws.root.split('/').at(-1)!.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}-${name}.service`))
    const redisBin = Bun.which('redis-server')!
    expect(readFileSync(units[0]!, 'utf8')).toContain(`\nExecStart=${redisBin} --port 6390 --bind 127.0.0.1 --save "" --appendonly no\n`)
    expect(readFileSync(units[1]!, 'utf8')).toContain(`\nExecStart=/bin/sh -c "redis-server --port $$PORT`)
    const errors = systemdErrors(units)
    if (errors === undefined && !process.env.CI)
      console.warn('SKIPPED: systemd-analyze is not installed here; `apt-get install systemd` to check the units')
    else
      expect(errors).toEqual([])
  }, 60_000)

  test('pm2 start of the exported file runs both as bun start does; pm2 kill takes the shell\'s child too', async () => {
    const [a, b] = [freePorts(1), freePorts(1)]
    const ws = workspaces.make(config(a, b))
    const { out } = await exported('pm2', ws.root)
    await withHome(async (h) => {
      expect(h.pm2(['start', join(out, 'ecosystem.config.cjs')]).code).toBe(0)
      const answered = async (port: number) => {
        const deadline = Date.now() + 15_000
        let answer = await ping(port)
        while (answer !== '+PONG' && Date.now() < deadline) {
          await Bun.sleep(100)
          answer = await ping(port)
        }
        return answer
      }
      expect([await answered(a), await answered(b)]).toEqual(['+PONG', '+PONG'])
      const apps = JSON.parse(h.pm2(['jlist']).stdout.trim().split('\n').at(-1)!) as { name: string, pid: number }[]
      const redis = redisIn(apps.map(app => app.pid))
      expect(redis.length).toBe(2)
      h.pm2(['kill'])
      const deadline = Date.now() + 10_000
      while (redis.some(isAlive) && Date.now() < deadline)
        await Bun.sleep(50)
      expect(redis.filter(isAlive)).toEqual([])
    })
  }, 60_000)
})
