// Deploys that drop nothing (issue 17): `start` after a change, and `restart`, replace a worker unit
// by unit, the new version beside the old one; a new version that fails leaves the old one serving;
// only what a worker reads makes it restart.
import { afterAll, describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fetchText, fixture, freePort } from '../helpers/dev-session.ts'
import { loadPort, withinDrainRace } from '../helpers/load.ts'
import { type TestHome, withHome } from '../helpers/pm2-home.ts'
import { type TempWorkspace, tempWorkspaces } from '../helpers/workspace.ts'
import { environOf } from '../../src/os/processes.ts'

const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)

interface Row { name: string, pid: number | null, health: string }

async function status(h: TestHome, ws: TempWorkspace): Promise<Row[]> {
  const result = await h.cli(['status', '--json'], { cwd: ws.root })
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout).workers
}

/** A worker of two replicas sharing one port (reusePort), checked on /health, its version from .env. */
function shared(port: number, extra = '') {
  return workspaces.make(`{ workers: [{ name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${port}/health',
    options: { instances: 2, env: { PORT: '${port}', ORDER_FILE: 'order.log' }${extra} } }] }`, { 'web.ts': fixture('serve-versioned.ts'), '.env': 'VERSION=v1\n' })
}

/** How many processes listened at each moment of the order file, after the first `initial`. */
function listening(ws: TempWorkspace, initial: number): number[] {
  let count = initial
  return readFileSync(join(ws.root, 'order.log'), 'utf8').trim().split('\n').slice(initial).map(line => (count += line.startsWith('listen') ? 1 : -1))
}

describe('a deploy replaces what changed, unit by unit, and keeps serving', () => {
  test.concurrent('a changed .env value: each replica gets a new process beside the old one, one at a time; keep-alive clients see no error beyond the drain race', () => withHome(async (h) => {
    const port = freePort()
    const ws = shared(port)
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const before = (await status(h, ws)).map(r => r.pid)
    writeFileSync(join(ws.root, '.env'), 'VERSION=v2\n')
    const load = await loadPort(port)
    const deployed = await h.cli(['start'], { cwd: ws.root })
    const result = await load.stop()
    expect(`${deployed.stderr}exit ${deployed.code}`).toBe('exit 0')
    expect(deployed.stdout).toMatch(/^restarted web \(rolling, new beside old: port \d+ shared \(reusePort\)\); ready in \d+ ms/)
    expect(withinDrainRace(result, 2)).toEqual({ beyondRace: 0, errors: [] })
    expect(result.sent).toBeGreaterThan(100)
    const after = (await status(h, ws)).map(r => r.pid)
    expect(after.filter(pid => before.includes(pid))).toEqual([])
    expect(await fetchText(port)).toStartWith('v2 ')
    // Never fewer than two serving, never more than three: one new process at a time, beside the old ones.
    const counts = listening(ws, 2)
    expect(counts).toHaveLength(4)
    expect(Math.min(...counts)).toBe(2)
    expect(Math.max(...counts)).toBe(3)
  }), 60_000)

  test.concurrent('restart is the same rolling replacement; a default-exported server of one process is replaced beside itself too', () => withHome(async (h) => {
    const port = freePort()
    const ws = workspaces.make(`{ workers: [{ name: 'site', bun: 'site.ts', heartbeat: 'http://127.0.0.1:${port}/health', options: { env: { PORT: '${port}', VERSION: 'v1' } } }] }`, { 'site.ts': fixture('default-export.ts') })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const [first] = await status(h, ws)
    const load = await loadPort(port)
    const restarted = await h.cli(['restart'], { cwd: ws.root })
    const result = await load.stop()
    expect(`${restarted.stderr}exit ${restarted.code}`).toBe('exit 0')
    expect(restarted.stdout).toMatch(/^restarted site \(rolling, new beside old: port \d+ shared \(reusePort\)\)/)
    expect(withinDrainRace(result, 1)).toEqual({ beyondRace: 0, errors: [] })
    const [second] = await status(h, ws)
    expect(second!.pid).not.toBe(first!.pid)
    expect(second!.health).toBe('ready')
  }), 60_000)

  test.concurrent('a new version that fails its check: the old processes keep serving, start exits 1 naming the worker', () => withHome(async (h) => {
    const port = freePort()
    const ws = shared(port)
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const before = (await status(h, ws)).map(r => r.pid)
    writeFileSync(join(ws.root, '.env'), 'VERSION=v2\nHEALTH=fail\n')
    const load = await loadPort(port)
    // It serves a share of the traffic beside the old one: a version that answers with errors only is not given the whole --timeout.
    const began = Date.now()
    const deployed = await h.cli(['start', '--timeout=30'], { cwd: ws.root })
    const result = await load.stop()
    expect(deployed.code).toBe(1)
    expect(Date.now() - began).toBeLessThan(20_000)
    expect(deployed.stderr.split('\n')[0]).toMatch(/^error: web: kept the running version; the new one failed: web#0: it answered its check with errors only \(\d+ in a row, last: GET \/health -> 500\); a new version that serves errors is not waited for \(answer 503 while it warms up\)$/)
    expect(withinDrainRace(result, 1)).toEqual({ beyondRace: 0, errors: [] })
    const after = await status(h, ws)
    expect(after.map(r => [r.pid, r.health])).toEqual(before.map(pid => [pid, 'ready']))
    expect(await fetchText(port)).toStartWith('v1 ')
  }), 60_000)

  test.concurrent('a port held without reusePort: stopped, then started, and said so; a new version that crashes brings the old one back', () => withHome(async (h) => {
    const port = freePort()
    const ws = workspaces.make(`{ workers: [{ name: 'api', bun: 'api.ts', heartbeat: 'http://127.0.0.1:${port}/', options: { env: { PORT: '${port}' } } }] }`, {
      'api.ts': `if (process.env.BROKEN) throw new Error('broken build')\nBun.serve({ port: Number(process.env.PORT), hostname: '127.0.0.1', fetch: () => new Response(\`\${process.env.VERSION} \${process.pid}\`) })\n`,
      '.env': 'VERSION=v1\n',
    })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    writeFileSync(join(ws.root, '.env'), 'VERSION=v2\n')
    const swapped = await h.cli(['start'], { cwd: ws.root })
    expect(`${swapped.stderr}exit ${swapped.code}`).toBe('exit 0')
    expect(swapped.stdout).toMatch(new RegExp(`^restarted api \\(stopped, then started: port ${port} is held without reusePort\\)`))
    expect(await fetchText(port)).toStartWith('v2 ')
    writeFileSync(join(ws.root, '.env'), 'VERSION=v3\nBROKEN=1\n')
    const broken = await h.cli(['start', '--timeout=10'], { cwd: ws.root })
    expect(broken.code).toBe(1)
    expect(broken.stderr).toStartWith('error: api: started the version that ran again; the new one failed: it exited before it was ready')
    expect(broken.stderr).toContain('broken build')
    expect(await fetchText(port)).toStartWith('v2 ')
  }), 60_000)
})

describe('only what a worker reads makes it restart', () => {
  test.concurrent('another shell (SHLVL, SSH_CLIENT, OLDPWD, TERM, PATH) keeps every pid; a passEnv variable and NODE_ENV do restart', () => withHome(async (h) => {
    const port = freePort()
    const ws = workspaces.make(`{ workers: [
      { name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${port}/health', options: { instances: 2, env: { PORT: '${port}' } } },
      { name: 'tick', bun: 'tick.ts', options: { passEnv: ['RELEASE'] } },
    ] }`, { 'web.ts': fixture('serve-versioned.ts'), 'tick.ts': fixture('forever.ts') })
    const shell = { SHLVL: '1', SSH_CLIENT: '10.0.0.1 50000 22', OLDPWD: '/tmp', TERM: 'xterm', RELEASE: '1' }
    expect((await h.cli(['start'], { cwd: ws.root, env: shell })).code).toBe(0)
    const pids = (await status(h, ws)).map(r => r.pid)
    const another = { SHLVL: '7', SSH_CLIENT: '10.9.9.9 61000 22', OLDPWD: '/', TERM: 'dumb', RELEASE: '1', PATH: `/usr/local/bin:${process.env.PATH}`, EDITOR: 'vi' }
    const again = await h.cli(['start'], { cwd: ws.root, env: another })
    expect(again.stdout).toMatch(/^unchanged web, tick; ready in \d+ ms/)
    expect((await status(h, ws)).map(r => r.pid)).toEqual(pids)
    const released = await h.cli(['start'], { cwd: ws.root, env: { ...another, RELEASE: '2' } })
    expect(released.stdout).toMatch(/^restarted tick \(stopped, then started: no heartbeat to judge the new process ready\); unchanged web;/)
    // What a worker gets of the shell that started it: the runtime variables and what passEnv names, nothing else.
    for (const row of await status(h, ws)) {
      const names = environOf(row.pid!).map(line => line.slice(0, line.indexOf('=')))
      expect(names).toContain('PATH')
      expect(names).not.toContain('SSH_CLIENT')
      expect(names).not.toContain('OLDPWD')
      expect(names).not.toContain('EDITOR')
      expect(names).not.toContain('SHLVL')
      if (row.name === 'tick')
        expect(environOf(row.pid!)).toContain('RELEASE=2')
    }
    const staged = await h.cli(['start', '--dry-run'], { cwd: ws.root, env: { ...another, RELEASE: '2', NODE_ENV: 'staging' } })
    expect(staged.stdout).toContain('env NODE_ENV changed (now staging, from shell)')
  }), 60_000)

  test.concurrent('new code is a new version: an edited import replaces the workers that import it, and only those', () => withHome(async (h) => {
    const ws = workspaces.make(`{ workers: [
      { name: 'api', bun: 'api.ts' },
      { name: 'mail', bun: 'mail.ts' },
      { name: 'cron', bun: 'cron.ts' },
    ] }`, {
      'api.ts': `import { greet } from './lib/greet'\nconsole.log(greet('api'))\nsetInterval(() => {}, 1000)\n`,
      'mail.ts': `import { greet } from './lib/greet.ts'\nconsole.log(greet('mail'))\nsetInterval(() => {}, 1000)\n`,
      'cron.ts': `console.log('cron')\nsetInterval(() => {}, 1000)\n`,
      'lib/greet.ts': `export const greet = (who: string) => \`hello \${who}\`\n`,
    })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const pid = async (name: string) => (await status(h, ws)).find(r => r.name === name)!.pid
    const [api, mail, cron] = [await pid('api'), await pid('mail'), await pid('cron')]
    ws.write('lib/greet.ts', `export const greet = (who: string) => \`hi \${who}\`\n`)
    const dry = await h.cli(['start', '--dry-run'], { cwd: ws.root })
    expect(dry.stdout).toMatch(/api +replace, stopped first \(no heartbeat to judge the new process ready\): its code changed \(api\.ts or the file it imports\)/)
    expect(dry.stdout).toMatch(/cron +keep: runs this version/)
    const deployed = await h.cli(['start'], { cwd: ws.root })
    expect(`${deployed.stderr}exit ${deployed.code}`).toBe('exit 0')
    expect(deployed.stdout).toMatch(/^restarted api, mail \(stopped, then started: no heartbeat to judge the new process ready\); unchanged cron;/)
    const after = [await pid('api'), await pid('mail'), await pid('cron')]
    expect([after[0] === api, after[1] === mail, after[2] === cron]).toEqual([false, false, true])
    // The same code again, whatever its files' times: nothing restarts.
    ws.write('lib/greet.ts', `export const greet = (who: string) => \`hi \${who}\`\n`)
    expect((await h.cli(['start'], { cwd: ws.root })).stdout).toMatch(/^unchanged api, mail, cron;/)
  }), 60_000)

  test.concurrent('a dependency replaced leaves its dependents running; --dry-run says why, for an option, a .env value and a removed worker, and touches nothing', () => withHome(async (h) => {
    const port = freePort()
    const config = (memory: string, extra = '') => `{ workers: [
      { name: 'db', bun: 'db.ts', heartbeat: 'http://127.0.0.1:${port}/health', options: { max_memory_restart: '${memory}', env: { PORT: '${port}' } } },
      { name: 'api', bun: 'api.ts', heartbeat: '1s', dependsOn: ['db'] }${extra},
    ] }`
    const ws = workspaces.make(config('100M', `, { name: 'old', bun: 'api.ts' }`), { 'db.ts': fixture('serve-versioned.ts'), 'api.ts': `import { heartbeat } from 'bun-pm'\nheartbeat()\nsetInterval(heartbeat, 300)\n`, '.env': 'VERSION=v1\n' })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const before = await status(h, ws)
    ws.write('pm.config.ts', (await Bun.file(join(ws.root, 'pm.config.ts')).text()).replace(/export default defineWorkspace\([\s\S]*\)\n$/, `export default defineWorkspace(${config('200M')})\n`))
    writeFileSync(join(ws.root, '.env'), 'VERSION=v2\nSECRET_THING=hunter2\n')
    const dry = await h.cli(['start', '--dry-run'], { cwd: ws.root })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/^dry run: nothing is started or stopped/)
    expect(dry.stdout).toMatch(/db +replace, rolling \(new beside old: port \d+ shared \(reusePort\)\): env SECRET_THING changed \(now \*\*\*, from \.env\); env VERSION changed \(now \*\*\*, from \.env\); max_memory_restart changed \(now "200M"\)/)
    expect(dry.stdout).toMatch(/api +replace, rolling \(new beside old: it holds no port\): env SECRET_THING changed/)
    expect(dry.stdout).toMatch(/old +remove: no longer in the config/)
    expect(dry.stdout).not.toContain('hunter2')
    const json = JSON.parse((await h.cli(['start', '--dry-run', '--json'], { cwd: ws.root })).stdout)
    expect(json.workers.find((w: { name: string }) => w.name === 'db')).toMatchObject({ action: 'replace', strategy: { kind: 'surge' }, changes: ['env.SECRET_THING', 'env.VERSION', 'max_memory_restart'] })
    expect((await status(h, ws)).map(r => r.pid)).toEqual(before.map(r => r.pid))
    // Only db's version changes now (its max_memory_restart): api, which depends on it, keeps its process.
    writeFileSync(join(ws.root, '.env'), 'VERSION=v1\n')
    const apiBefore = before.find(r => r.name === 'api')!.pid
    const dbOnly = await h.cli(['start'], { cwd: ws.root })
    expect(dbOnly.code).toBe(0)
    const after = await status(h, ws)
    expect(after.find(r => r.name === 'db')!.pid).not.toBe(before.find(r => r.name === 'db')!.pid)
    expect(after.find(r => r.name === 'api')!.pid).toBe(apiBefore)
  }), 60_000)
})
