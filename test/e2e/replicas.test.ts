import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { expectNothingLeft, fetchText, fetchUntil, fixture, startDev, stopDev, stopLeftoverRuns } from '../helpers/dev-session.ts'
import { freePorts, waitUntil } from '../helpers/net.ts'
import { withHome } from '../helpers/pm2-home.ts'
import { tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)
afterEach(stopLeftoverRuns)

/** A worker of `count` replicas, each on its own port from `base` (increment_var), checked over HTTP on the base port. */
function replicated(count: number, base: number) {
  return `{
    workers: [{ name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${base}/', options: { instances: ${count}, increment_var: 'PORT', env: { PORT: '${base}' } } }],
  }`
}

interface Row { name: string, worker: string, instance: number, pid: number | null, health: string }

describe('replicas: instances: N', () => {
  test.concurrent('start runs N processes, a row each; each knows its index and port; a new N adds or removes only the difference', async () => {
    await withHome(async (h) => {
      const base = freePorts(3)
      const ws = workspaces.make(replicated(2, base), { 'web.ts': fixture('serve-instance.ts') })
      const first = await h.cli(['start'], { cwd: ws.root })
      expect(first.stderr).toBe('')
      expect(first.code).toBe(0)
      expect(first.stdout).toMatch(/^started web; ready in \d+ ms/)
      expect(first.stdout).toMatch(/\nweb#0 +primary +\d+ +online +ready /)
      expect(first.stdout).toMatch(/\nweb#1 +primary +\d+ +online +ready /)
      // Each replica serves on base + its index and says NODE_APP_INSTANCE.
      const status = async () => JSON.parse((await h.cli(['status', '--json'], { cwd: ws.root })).stdout).workers as Row[]
      const two = await status()
      expect(two.map(r => [r.name, r.worker, r.instance, r.health])).toEqual([['web#0', 'web', 0, 'ready'], ['web#1', 'web', 1, 'ready']])
      expect(await fetchText(base)).toBe(`instance 0 pid ${two[0]!.pid}`)
      expect(await fetchText(base + 1)).toBe(`instance 1 pid ${two[1]!.pid}`)

      // Idempotent: the same config leaves both alone.
      const again = await h.cli(['start'], { cwd: ws.root })
      expect(again.stdout).toMatch(/^unchanged web; ready in/)
      expect((await status()).map(r => r.pid)).toEqual(two.map(r => r.pid))

      // 2 -> 3: one more process; the two keep their pids.
      ws.write('pm.config.ts', (await Bun.file(`${ws.root}/pm.config.ts`).text()).replace('instances: 2', 'instances: 3'))
      const up = await h.cli(['start'], { cwd: ws.root })
      expect(up.code).toBe(0)
      expect(up.stdout).toMatch(/^scaled web from 2 to 3 replicas; ready in/)
      const three = await status()
      expect(three.map(r => [r.name, r.health])).toEqual([['web#0', 'ready'], ['web#1', 'ready'], ['web#2', 'ready']])
      expect(three.slice(0, 2).map(r => r.pid)).toEqual(two.map(r => r.pid))
      expect(await fetchText(base + 2)).toBe(`instance 2 pid ${three[2]!.pid}`)

      // 3 -> 1: the highest indexes go; web#0 keeps its pid and is `web` again.
      ws.write('pm.config.ts', (await Bun.file(`${ws.root}/pm.config.ts`).text()).replace('instances: 3', 'instances: 1'))
      const down = await h.cli(['start'], { cwd: ws.root })
      expect(down.stdout).toMatch(/^scaled web from 3 to 1 replicas; ready in/)
      const one = await status()
      expect(one.map(r => [r.name, r.pid])).toEqual([['web', two[0]!.pid]])
      await waitUntil(() => fetchText(base + 1), text => text === undefined, 5000)
    })
  }, 60_000)

  test.concurrent('a replica that fails its check is restarted alone and named', async () => {
    await withHome(async (h) => {
      const base = freePorts(2)
      // Replica 1 answers 500 on its own port; replica 0 stays healthy.
      const ws = workspaces.make(`{
        workers: [{ name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${base}/', options: { instances: 2, increment_var: 'PORT', env: { PORT: '${base}' }, health: { interval: '200ms', failures: 2, grace: '1s' } } }],
      }`, { 'web.ts': `Bun.serve({ port: Number(process.env.PORT), fetch: () => new Response('x', { status: process.env.NODE_APP_INSTANCE === '1' && Date.now() - START > 1500 ? 500 : 200 }) })\nconst START = Date.now()\n` })
      const started = await h.cli(['start'], { cwd: ws.root })
      expect(started.code).toBe(0)
      const rows = async () => JSON.parse((await h.cli(['status', '--json'], { cwd: ws.root })).stdout).workers as (Row & { restarts: number, reason: string | null })[]
      const before = await rows()
      const after = await waitUntil(rows, list => (list[1]?.restarts ?? 0) > 0, 15_000)
      expect(after[1]!.reason).toContain('GET / -> 500')
      expect(after[0]!.restarts).toBe(0)
      expect(after[0]!.pid).toBe(before[0]!.pid)
    })
  }, 60_000)
})

describe('replicas under two starts at once', () => {
  test.concurrent('two starts scaling 2 -> 4 at the same moment leave 4 processes, one per index', async () => {
    await withHome(async (h) => {
      const base = freePorts(4)
      const ws = workspaces.make(replicated(2, base), { 'web.ts': fixture('serve-instance.ts') })
      expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
      ws.write('pm.config.ts', (await Bun.file(`${ws.root}/pm.config.ts`).text()).replace('instances: 2', 'instances: 4'))
      const both = await Promise.all([h.cli(['start'], { cwd: ws.root }), h.cli(['start'], { cwd: ws.root })])
      expect(both.map(r => `${r.stdout}${r.stderr}exit ${r.code}`)).toEqual([expect.stringMatching(/exit 0$/), expect.stringMatching(/exit 0$/)])
      const listed = JSON.parse(h.pm2(['jlist']).stdout.trim().split('\n').at(-1)!).filter((p: any) => p.name === 'web')
      expect(listed.map((p: any) => Number(p.pm2_env.NODE_APP_INSTANCE)).sort()).toEqual([0, 1, 2, 3])
      for (let i = 0; i < 4; i++)
        expect(await fetchText(base + i)).toStartWith(`instance ${i} `)
    })
  }, 60_000)
})

describe('replicas in dev', () => {
  test('each replica has its own lines and events, reloads on an edit, and Ctrl-C ends them all', async () => {
    const base = freePorts(2)
    const ws = workspaces.make(replicated(2, base), { 'web.ts': fixture('serve-instance.ts') })
    const dev = startDev(ws.root)
    await dev.waitFor(/1 worker up in \d+ ms \(1 started\): web/)
    expect(dev.output()).toMatch(/web#0 started \(pid \d+\)/)
    expect(dev.output()).toMatch(/web#1 started \(pid \d+\)/)
    await dev.waitFor(/web#0 +\| replica 0 serving on/)
    await dev.waitFor(/web#1 +\| replica 1 serving on/)
    // An edit reloads both (bun --watch in each), each on its own port.
    ws.write('web.ts', fixture('serve-instance.ts').replace('new Response(`instance ', 'new Response(`v2 instance '))
    expect(await fetchUntil(base, 'v2 ', 10_000)).toStartWith('v2 instance 0')
    expect(await fetchUntil(base + 1, 'v2 ', 10_000)).toStartWith('v2 instance 1')
    expect(await stopDev(dev)).toBe(130)
    expect(dev.output()).toContain('web#1 stopped')
    await expectNothingLeft(ws.root, dev.pid)
  }, 60_000)
})
