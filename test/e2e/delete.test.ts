import { afterAll, describe, expect, test } from 'bun:test'
import { isAlive } from '../../src/os/processes.ts'
import { fixture } from '../helpers/dev-session.ts'
import { type TestHome, withHome } from '../helpers/pm2-home.ts'
import { tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
afterAll(() => workspaces.removeAll())

/** `pm2 jlist` through PM2's own CLI, as name, namespace, status and pid (its first run in a home prints a banner before the JSON). */
function jlist(h: TestHome): { name: string, namespace: string, status: string, pid: number }[] {
  return JSON.parse(h.pm2(['jlist']).stdout.trim().split('\n').at(-1)!).map((p: any) => ({ name: p.name, namespace: p.pm2_env.namespace, status: p.pm2_env.status, pid: p.pid }))
}

describe('delete', () => {
  test('removes the selection, then the whole namespace with its health agent; other namespaces and a foreign app keep running', async () => {
    await withHome(async (h) => {
      const files = { 'tick.ts': fixture('forever.ts') }
      const ws = workspaces.make(`{ name: 'shop', workers: [
        { name: 'db', bun: 'tick.ts' },
        { name: 'api', bun: 'tick.ts', dependsOn: ['db'] },
        { name: 'mail', group: 'jobs', bun: 'tick.ts' },
      ] }`, files)
      const other = workspaces.make(`{ name: 'blog', workers: [{ name: 'feed', bun: 'tick.ts' }] }`, files)
      expect(h.pm2(['start', '/bin/sleep', '--name', 'foreign', '--interpreter', 'none', '--', '600']).code).toBe(0)
      expect((await h.cli(['start', '--group=primary,jobs'], { cwd: ws.root })).code).toBe(0)
      expect((await h.cli(['start'], { cwd: other.root })).code).toBe(0)
      const before = jlist(h)
      const untouched = before.filter(p => p.namespace !== 'shop')
      expect(untouched.map(p => `${p.namespace}/${p.name}`).sort()).toEqual(['blog/blog:health', 'blog/feed', 'default/foreign'])
      const shopPids = before.filter(p => p.namespace === 'shop').map(p => p.pid)
      expect(shopPids).toHaveLength(4)

      // PM2's short word; a selection leaves the rest and the agent.
      const one = await h.cli(['del', '--workers=mail', '--json'], { cwd: ws.root })
      expect(one.stderr).toBe('')
      expect(one.code).toBe(0)
      expect(JSON.parse(one.stdout).workers.map((w: any) => [w.name, w.status])).toEqual([['mail', 'not running']])
      expect(jlist(h).filter(p => p.namespace === 'shop').map(p => p.name).sort()).toEqual(['api', 'db', 'shop:health'])

      const all = await h.cli(['delete'], { cwd: ws.root })
      expect(all.code).toBe(0)
      expect(all.stdout).toMatch(/api +primary +- +not running/)
      const after = jlist(h)
      expect(after.filter(p => p.namespace === 'shop')).toEqual([])
      expect(after).toEqual(untouched)
      for (const pid of shopPids)
        expect(isAlive(pid)).toBe(false)
      expect(untouched.map(p => [p.name, p.status, isAlive(p.pid)])).toEqual(untouched.map(p => [p.name, 'online', true]))

      // Nothing left to delete is not an error; no daemon is.
      expect((await h.cli(['delete'], { cwd: ws.root })).code).toBe(0)
    })
  }, 60_000)

  test('without a daemon: one line, exit 1, and no daemon started', async () => {
    await withHome(async (h) => {
      const ws = workspaces.make(`{ workers: [{ name: 'db', bun: 'tick.ts' }] }`, { 'tick.ts': fixture('forever.ts') })
      const result = await h.cli(['delete'], { cwd: ws.root })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/^error: no PM2 daemon runs for .*; start the workspace with `bun-pm start`/)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(h.processes()).toEqual([])
    })
  }, 30_000)
})
