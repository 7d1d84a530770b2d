import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { cpSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive } from '../../src/os/processes.ts'
import { fetchUntil, fixture, freePort } from '../helpers/dev-session.ts'
import { makePm2Home, type TestHome } from '../helpers/pm2-home.ts'
import { exampleWorkspace, makeWorkspace, type TempWorkspace } from '../helpers/workspace.ts'

const made: TempWorkspace[] = []
let homes: TestHome[] = []
afterEach(async () => {
  for (const home of homes)
    await home.close()
  homes = []
}, 20_000)
afterAll(() => made.forEach(ws => ws.remove()))

function home(): TestHome {
  const h = makePm2Home()
  homes.push(h)
  return h
}

function workspace(config: string, files: Record<string, string> = {}): TempWorkspace {
  const ws = makeWorkspace({ 'web.ts': fixture('serve.ts'), 'tick.ts': fixture('forever.ts'), ...files }, { config })
  made.push(ws)
  return ws
}

/** `pm2 jlist` through PM2's own CLI (its first run in a home prints a banner before the JSON). */
function jlist(h: TestHome): any[] {
  return JSON.parse(h.pm2(['jlist']).stdout.trim().split('\n').at(-1)!)
}

/** pm2 jlist of the home, as name -> { pid, status, namespace }, without the workspaces' health agents. */
function pm2List(h: TestHome): { name: string, pid: number, status: string, namespace: string }[] {
  return jlist(h).filter((p: any) => !p.name.endsWith(':health')).map((p: any) => ({ name: p.name, pid: p.pid, status: p.pm2_env.status, namespace: p.pm2_env.namespace }))
}

describe('start', () => {
  test('the example workspace: group primary on the daemon, serving; the pm2 CLI lists it; the command exits', async () => {
    const h = home()
    const port = freePort()
    const example = exampleWorkspace()
    made.push(example)
    const result = await h.cli(['start'], { cwd: example.root, env: { PORT: String(port) } })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^started primary-webserver, primary-background; ready in \d+ ms/)
    expect(result.stdout).toMatch(/primary-webserver +primary +\d+ +online +ready /)
    // The health agent runs in the workspace's namespace beside the workers.
    expect(jlist(h).filter((p: any) => p.name === 'bun-pm:health').map((p: any) => [p.pm2_env.namespace, p.pm2_env.status])).toEqual([['bun-pm', 'online']])
    expect(result.stdout).toMatch(/primary-webserver +primary +\d+ +online +ready +\d+ MB +0 +bun/)
    const listed = pm2List(h)
    expect(listed.map(p => [p.name, p.status, p.namespace])).toEqual([['primary-webserver', 'online', 'bun-pm'], ['primary-background', 'online', 'bun-pm']])
    expect(await fetchUntil(port, '{')).toContain(`"pid":${listed[0]!.pid}`)
  }, 30_000)

  test('start again: no duplicates, unchanged workers keep their pid; a changed .env value reaches the workers', async () => {
    const h = home()
    const port = freePort()
    const ws = workspace(`{ workers: [
      { name: 'web', bun: 'web.ts', options: { env: { PORT: '${port}' } } },
      { name: 'tick', bun: 'tick.ts' },
    ] }`, { '.env': 'REPLY=first\n' })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    expect(await fetchUntil(port, 'first')).toStartWith('first ')
    const before = pm2List(h)
    const same = JSON.parse((await h.cli(['start', '--json'], { cwd: ws.root })).stdout)
    expect(same.kept.sort()).toEqual(['tick', 'web'])
    expect(pm2List(h)).toEqual(before)
    // .env reaches every worker, so both start anew with it; still one process each.
    ws.write('.env', 'REPLY=second\n')
    const again = await h.cli(['start', '--json'], { cwd: ws.root })
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout).replaced.sort()).toEqual(['tick', 'web'])
    const after = pm2List(h)
    expect(after.map(p => p.name).sort()).toEqual(['tick', 'web'])
    expect(after.find(p => p.name === 'web')!.pid).not.toBe(before.find(p => p.name === 'web')!.pid)
    expect(await fetchUntil(port, 'second')).toStartWith('second ')
  }, 30_000)

  test('a worker removed from the config or deactivated is removed; unselected ones keep running', async () => {
    const h = home()
    const both = `{ name: 'web', group: 'jobs', bun: 'tick.ts' }, { name: 'tick', bun: 'tick.ts' }`
    const ws = workspace(`{ workers: [${both}, { name: 'gone', bun: 'tick.ts' }] }`)
    expect((await h.cli(['start', '--group=primary,jobs'], { cwd: ws.root })).code).toBe(0)
    ws.write('pm.config.ts', `export default { workers: [{ name: 'web', group: 'jobs', bun: 'tick.ts' }, { name: 'tick', bun: 'tick.ts', activated: false }, { name: 'other', bun: 'tick.ts' }] }\n`)
    const result = await h.cli(['start', '--json'], { cwd: ws.root })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).removed.sort()).toEqual(['gone', 'tick'])
    expect(pm2List(h).map(p => p.name).sort()).toEqual(['other', 'web'])
  }, 30_000)

  test('stop and restart by group, status --json, and a foreign app that survives every command', async () => {
    const h = home()
    const ws = workspace(`{ workers: [
      { name: 'a', bun: 'tick.ts' },
      { name: 'b', bun: 'tick.ts' },
      { name: 'mail', group: 'jobs', bun: 'tick.ts' },
    ] }`)
    expect(h.pm2(['start', `${ws.root}/tick.ts`, '--name', 'foreign', '--interpreter', 'none']).code).toBe(0)
    const foreign = () => pm2List(h).find(p => p.name === 'foreign')!
    const foreignPid = foreign().pid
    expect((await h.cli(['start', '--group=primary,jobs'], { cwd: ws.root })).code).toBe(0)
    const started = pm2List(h)
    expect((await h.cli(['stop', '--group=jobs'], { cwd: ws.root })).code).toBe(0)
    const status = JSON.parse((await h.cli(['status', '--json'], { cwd: ws.root })).stdout)
    expect(status.workers.map((w: any) => [w.name, w.status])).toEqual([['a', 'online'], ['b', 'online'], ['mail', 'stopped']])
    expect((await h.cli(['restart', '--group=primary'], { cwd: ws.root })).code).toBe(0)
    const restarted = pm2List(h)
    for (const name of ['a', 'b'])
      expect(restarted.find(p => p.name === name)!.pid).not.toBe(started.find(p => p.name === name)!.pid)
    expect((await h.cli(['restart'], { cwd: ws.root })).code).toBe(0)
    expect(pm2List(h).find(p => p.name === 'mail')!.status).toBe('online')
    // What restart started, start finds unchanged.
    const afterRestart = pm2List(h)
    expect(JSON.parse((await h.cli(['start', '--json', '--group=primary,jobs'], { cwd: ws.root })).stdout).kept.sort()).toEqual(['a', 'b', 'mail'])
    expect(pm2List(h)).toEqual(afterRestart)
    expect((await h.cli(['stop'], { cwd: ws.root })).code).toBe(0)
    expect(pm2List(h).filter(p => p.namespace !== 'default').map(p => p.status)).toEqual(['stopped', 'stopped', 'stopped'])
    expect(foreign()).toMatchObject({ status: 'online', pid: foreignPid })
  }, 60_000)

  test('stop ends a worker\'s whole tree, a child in a session of its own too (the daemon bun-pm starts reads the tree from /proc)', async () => {
    const h = home()
    const ws = workspace(`{ workers: [{ name: 'esc', bun: 'escape.ts' }] }`, { 'escape.ts': fixture('escape-child.ts') })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const daemon = Number(readFileSync(join(h.path, 'pm2.pid'), 'utf8'))
    expect(readFileSync(`/proc/${daemon}/cmdline`, 'utf8')).toContain('daemon-treekill')
    const log = join(h.path, 'logs', 'esc-out.log')
    let escaped = 0
    for (const deadline = Date.now() + 15_000; !escaped && Date.now() < deadline; await Bun.sleep(50))
      escaped = Number(/escaped (\d+)/.exec(readFileSync(log, 'utf8'))?.[1] ?? 0)
    try {
      expect(escaped).toBeGreaterThan(0)
      expect(isAlive(escaped)).toBe(true)
      const worker = pm2List(h).find(p => p.name === 'esc')!.pid
      expect((await h.cli(['stop'], { cwd: ws.root })).code).toBe(0)
      expect(isAlive(worker)).toBe(false)
      // Signalled with the worker; gone once its new parent has reaped it.
      for (const deadline = Date.now() + 5000; isAlive(escaped) && Date.now() < deadline;)
        await Bun.sleep(20)
      expect(isAlive(escaped)).toBe(false)
    }
    finally {
      if (escaped > 0 && isAlive(escaped))
        process.kill(escaped, 'SIGKILL')
    }
  }, 40_000)

  test('a same-named process of another namespace is an error, and is left alone', async () => {
    const h = home()
    const ws = workspace(`{ workers: [{ name: 'web', bun: 'tick.ts' }] }`)
    expect(h.pm2(['start', `${ws.root}/tick.ts`, '--name', 'web', '--interpreter', 'none']).code).toBe(0)
    const pid = pm2List(h)[0]!.pid
    const result = await h.cli(['start'], { cwd: ws.root })
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toMatch(/^error: PM2 .* already runs a process named "web" in namespace "default", which is not this workspace's/)
    expect(pm2List(h)).toEqual([{ name: 'web', pid, status: 'online', namespace: 'default' }])
  }, 30_000)

  test('a worker that crashes makes start exit 1 with the reason and its last lines', async () => {
    const h = home()
    const ws = workspace(`{ workers: [{ name: 'crash', bun: 'crash.ts' }, { name: 'tick', bun: 'tick.ts' }] }`, { 'crash.ts': fixture('exit-1.ts') })
    const result = await h.cli(['start'], { cwd: ws.root })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/error: worker "crash" is not ready: errored: it crashed \d+ times in a row/)
    expect(result.stderr).toContain('crash | failing on purpose')
    expect(result.stdout).toMatch(/tick +primary +\d+ +online/)
  }, 30_000)

  test('a port already in use is named as the reason', async () => {
    const h = home()
    const holder = Bun.serve({ port: 0, hostname: '0.0.0.0', fetch: () => new Response('taken') })
    try {
      const ws = workspace(`{ workers: [{ name: 'web', bun: 'web.ts', options: { env: { PORT: '${holder.port}' } } }] }`)
      const result = await h.cli(['start'], { cwd: ws.root })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/worker "web" is not ready: .*\(port in use\)/)
    }
    finally {
      holder.stop(true)
    }
  }, 30_000)

  test('a worker over max_memory_restart is restarted within 15 s', async () => {
    const h = home()
    const ws = workspace(`{ workers: [{ name: 'leak', bun: 'leak.ts', options: { max_memory_restart: '80M' } }] }`, { 'leak.ts': fixture('leak-memory.ts') })
    // The leak outgrows 80 MB in about a second: start may or may not see it stable first.
    await h.cli(['start', '--timeout=5'], { cwd: ws.root })
    const deadline = Date.now() + 15_000
    let restarts = 0
    while (restarts === 0 && Date.now() < deadline) {
      restarts = jlist(h).find(p => p.name === 'leak')?.pm2_env.restart_time ?? 0
      await Bun.sleep(250)
    }
    expect(restarts).toBeGreaterThan(0)
    expect(await Bun.file(`${h.path}/pm2.log`).text()).toContain('exceeds --max-memory-restart')
  }, 30_000)

  test('--attach streams the logs; SIGTERM stops the workers and the daemon it started, leaving nothing', async () => {
    const h = home()
    const port = freePort()
    const ws = workspace(`{ workers: [{ name: 'web', bun: 'web.ts', options: { env: { PORT: '${port}' } } }, { name: 'tick', bun: 'tick.ts' }] }`)
    const { BUN, ENTRY, childEnv } = await import('../helpers/cli.ts')
    const proc = Bun.spawn([BUN, '--no-env-file', ENTRY, 'start', '--attach'], { cwd: ws.root, env: childEnv({ PM2_HOME: h.path, NO_COLOR: '1' }), stdout: 'pipe', stderr: 'pipe' })
    try {
      let output = ''
      void (async () => {
        for await (const chunk of proc.stdout as ReadableStream<Uint8Array>)
          output += new TextDecoder().decode(chunk)
      })()
      const deadline = Date.now() + 15_000
      while (!(/web +\| serving on/.test(output) && /tick +\| forever/.test(output) && /tick ready/.test(output)) && Date.now() < deadline)
        await Bun.sleep(50)
      expect(output).toContain('attached to 2 workers')
      // The health agent's word reaches the attached terminal too.
      expect(output).toMatch(/bun-pm +\| web ready: up 1 s without a crash/)
      // Attached before the workers start: their first lines are there.
      expect(output).toMatch(/web +\| serving on \d+/)
      expect(output).toMatch(/tick +\| forever \d+/)
      expect(await fetchUntil(port, 'hello')).toStartWith('hello ')
      const pids = h.processes()
      expect(pids.length).toBeGreaterThanOrEqual(4)
      proc.kill('SIGTERM')
      expect(await proc.exited).toBe(0)
      expect(output).toContain('web stopped')
      const gone = Date.now() + 5000
      while (pids.some(isAlive) && Date.now() < gone)
        await Bun.sleep(50)
      expect(pids.filter(isAlive)).toEqual([])
    }
    finally {
      proc.kill('SIGKILL')
    }
  }, 30_000)

  test('logs prints recent lines with the worker prefix, then follows', async () => {
    const h = home()
    const ws = workspace(`{ workers: [{ name: 'count', bun: 'count.ts' }] }`, {
      'count.ts': `let n = 0\nconsole.log('first line')\nsetInterval(() => console.log(\`count \${++n}\`), 200)\n`,
    })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const { BUN, ENTRY, childEnv } = await import('../helpers/cli.ts')
    // What the file holds when `logs` reads it; lines past that can only have come by following.
    const inFile = (await Bun.file(`${h.path}/logs/count-out.log`).text()).match(/count \d+/g)?.length ?? 0
    const proc = Bun.spawn([BUN, '--no-env-file', ENTRY, 'logs', '--lines=100'], { cwd: ws.root, env: childEnv({ PM2_HOME: h.path, NO_COLOR: '1' }), stdout: 'pipe' })
    let out = ''
    const reading = (async () => {
      for await (const chunk of proc.stdout as ReadableStream<Uint8Array>)
        out += new TextDecoder().decode(chunk)
    })()
    // Each line with the time it was written (its file's stamp, or when it came).
    const followed = new RegExp(`^count +\\| \\d\\d:\\d\\d:\\d\\d count ${inFile + 4}$`, 'm')
    const deadline = Date.now() + 10_000
    while (!followed.test(out) && Date.now() < deadline)
      await Bun.sleep(50)
    proc.kill('SIGINT')
    expect(await proc.exited).toBe(0)
    await reading
    expect(out).toMatch(/^count +\| \d\d:\d\d:\d\d first line$/m)
    expect(out).toMatch(followed)
    const counts = [...out.matchAll(/^count +\| \d\d:\d\d:\d\d count (\d+)$/gm)].map(m => Number(m[1]))
    expect(counts).toEqual(Array.from({ length: counts.length }, (_, i) => i + 1))
  }, 30_000)
})

describe('the build', () => {
  test('bun run build makes a dist/ that starts the example workspace, pm2 kept external', async () => {
    const { BUN, REPO, childEnv } = await import('../helpers/cli.ts')
    // A copy of the checkout, so that the test never writes into its dist/.
    const copy = makeWorkspace({})
    made.push(copy)
    for (const part of ['src', 'workers', 'package.json', 'pm.config.ts', 'tsconfig.json', 'tsconfig.build.json'])
      cpSync(join(REPO, part), join(copy.root, part), { recursive: true })
    rmSync(join(copy.root, 'node_modules'), { recursive: true })
    symlinkSync(join(REPO, 'node_modules'), join(copy.root, 'node_modules'))
    const build = Bun.spawnSync([BUN, 'run', 'build'], { cwd: copy.root, env: childEnv({}) })
    expect(build.exitCode).toBe(0)
    // Split in chunks (each command loads only its own packages), pm2 imported, never bundled.
    const built = readdirSync(join(copy.root, 'dist')).filter(f => f.endsWith('.js')).map(f => readFileSync(join(copy.root, 'dist', f), 'utf8')).join('\n')
    expect(built).toContain('import("pm2")')
    expect(built).not.toContain('God.prepare')
    expect(await Bun.file(`${copy.root}/dist/commands/exec-process.js`).text()).not.toContain('from "yaml"')
    expect(await Bun.file(`${copy.root}/dist/worker/entry.js`).exists()).toBe(true)
    expect(await Bun.file(`${copy.root}/dist/agent/main.js`).exists()).toBe(true)
    const h = home()
    const port = freePort()
    const proc = Bun.spawn([BUN, '--no-env-file', 'dist/commands/exec-process.js', 'start', '--json'], { cwd: copy.root, env: childEnv({ PM2_HOME: h.path, PORT: String(port) }), stdout: 'pipe' })
    expect(await proc.exited).toBe(0)
    const result = JSON.parse(await new Response(proc.stdout).text())
    expect(result.workers.map((w: { name: string, status: string, health: string }) => [w.name, w.status, w.health])).toEqual([['primary-webserver', 'online', 'ready'], ['primary-background', 'online', 'ready']])
    expect(await fetchUntil(port, '{')).toContain('primary-webserver')
    expect(jlist(h).find(p => p.name === 'primary-webserver').pm2_env.pm_exec_path).toBe(`${copy.root}/dist/worker/entry.js`)
    // The agent runs from the build too.
    expect(jlist(h).find(p => p.name.endsWith(':health')).pm2_env.pm_exec_path).toBe(`${copy.root}/dist/agent/main.js`)
  }, 60_000)
})

describe('what pmx: false costs', () => {
  test('memory and cpu still come from PM2; a bun worker still exits when the daemon dies (bun-pm\'s entry)', async () => {
    const h = home()
    const ws = workspace(`{ workers: [{ name: 'tick', bun: 'tick.ts' }] }`)
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const proc = jlist(h).find(p => p.name === 'tick')
    const agent = jlist(h).find(p => p.name.endsWith(':health'))
    expect(proc.pm2_env.pmx).toBe(false)
    expect(proc.monit.memory).toBeGreaterThan(1024 * 1024)
    expect(typeof proc.monit.cpu).toBe('number')
    // Without @pm2/io a worker would be orphaned forever here (see the shared notes).
    process.kill(Number(await Bun.file(`${h.path}/pm2.pid`).text()), 'SIGKILL')
    const deadline = Date.now() + 5000
    while ((isAlive(proc.pid) || isAlive(agent.pid)) && Date.now() < deadline)
      await Bun.sleep(50)
    // The health agent goes with its daemon too.
    expect([isAlive(proc.pid), isAlive(agent.pid)]).toEqual([false, false])
  }, 30_000)
})
