// `up()` from bun-pm/testing (issue 20): the workspace in a test, typed, with fault injection,
// gone after `await using` or `down()` — and a process left in its name fails down().
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { fixture, freePort } from '../helpers/dev-session.ts'
import { tempWorkspaces } from '../helpers/workspace.ts'
import { allPids, environOf, isAlive } from '../../src/os/processes.ts'
import { up } from '../../src/testing/up.ts'

const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)

const processesOf = (home: string) => allPids().filter(pid => isAlive(pid) && environOf(pid).includes(`PM2_HOME=${home}`))

function shop() {
  const port = freePort()
  return workspaces.make(`{ workers: [
    { name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${port}/health', options: { env: { PORT: '${port}' } } },
    { name: 'worker', bun: 'worker.ts' },
  ] }`, { 'web.ts': fixture('serve-versioned.ts'), 'worker.ts': `console.log('resumed')\nsetInterval(() => {}, 1000)\n`, '.env': 'VERSION=v1\n' })
}

describe('up()', () => {
  test.concurrent('ready when it resolves: url, kill, ready, logs, restart and status; await using stops everything', async () => {
    const ws = shop()
    let home = ''
    {
      await using w = await up<'web' | 'worker'>({ cwd: ws.root })
      home = w.home
      expect(await (await fetch(`${w.url('web')}/`)).text()).toMatch(/^v1 \d+$/)
      const [killed] = await w.kill('worker', 'SIGKILL')
      await w.ready('worker')
      const rows = await w.status()
      expect(rows.find(r => r.name === 'worker')!.pid).not.toBe(killed)
      expect(w.logs('worker').filter(line => line === 'resumed')).toHaveLength(2)
      const web = rows.find(r => r.name === 'web')!.pid
      await w.restart('web')
      expect((await w.status()).find(r => r.name === 'web')!.pid).not.toBe(web)
      // A name the workspace does not have, where the type system cannot see it: the closest is named.
      expect(() => w.url('wrker' as 'worker')).toThrow('no worker "wrker" in this workspace (did you mean "worker"?); it has web, worker')
      expect(() => w.url('worker')).toThrow('worker has no http heartbeat, so it has no URL')
      expect(processesOf(home).length).toBeGreaterThanOrEqual(4)
    }
    expect(processesOf(home)).toEqual([])
    expect(existsSync(home)).toBe(false)
  }, 120_000)

  test.concurrent('down() fails when a process in the workspace\'s name outlives it; a worker that never gets ready fails up()', async () => {
    const ws = shop()
    const w = await up({ cwd: ws.root })
    // Something the workspace left: a process with its PM2 home that no sweep knows of.
    const stray = Bun.spawn(['sleep', '30'], { env: { ...process.env, PM2_HOME: w.home } })
    try {
      await expect(w.down()).rejects.toThrow(`still alive after down(): pid ${stray.pid} (sleep 30)`)
    }
    finally {
      stray.kill('SIGKILL')
    }
    const broken = workspaces.make(`{ workers: [{ name: 'db', bun: 'db.ts', heartbeat: 'http://127.0.0.1:${freePort()}/' }] }`, { 'db.ts': `console.error('no disk')\nprocess.exit(1)\n` })
    await expect(up({ cwd: broken.root, timeoutMs: 10_000 })).rejects.toThrow(/error: worker "db" is not ready/)
  }, 60_000)
})
