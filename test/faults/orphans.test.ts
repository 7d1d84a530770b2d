import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { devHome } from '../../src/dev/session.ts'
import { osBackend } from '../../src/os/backend.ts'
import { isAlive } from '../../src/os/processes.ts'
import { BUN, childEnv, ENTRY } from '../helpers/cli.ts'
import { expectNothingLeft, fixture, freePort, startDev, stopDev, stopLeftoverRuns } from '../helpers/dev-session.ts'
import { makePm2Home } from '../helpers/pm2-home.ts'
import { type TempWorkspace, tempWorkspaces } from '../helpers/workspace.ts'

// What must hold after each: nothing of the session is left, it was said in one line, and the
// exit code says the session did not end well.
const workspaces = tempWorkspaces()
afterEach(stopLeftoverRuns)
afterAll(workspaces.removeAll)

const workspace = (config: string, files: Record<string, string>) => workspaces.make(config, files)

/** A bun worker and a node worker (which PM2 alone would orphan: no bun-pm entry runs in it to end it). */
function bunAndNode(): TempWorkspace {
  const port = freePort()
  return workspace(`{ workers: [
    { name: 'tick', bun: 'tick.ts' },
    { name: 'api', node: 'api.js', options: { interpreter: 'node', env: { PORT: '${port}' } } },
  ] }`, { 'tick.ts': fixture('forever.ts'), 'api.js': fixture('serve-node.js') })
}

const pidOf = (file: string) => Number(readFileSync(file, 'utf8'))

describe('orphans', () => {
  test('SIGKILL of dev\'s PM2 daemon: said in one line at once, every worker swept, dev exits 1', async () => {
    const ws = bunAndNode()
    const dev = startDev(ws.root)
    await dev.waitFor(/2 workers up/)
    process.kill(pidOf(join(devHome(ws.root), 'pm2.pid')), 'SIGKILL')
    await dev.waitFor(/bun-pm +\| the PM2 daemon of this session \(pid \d+\) died; stopping every worker it had and exiting/, { timeoutMs: 5000 })
    expect(await dev.exited).toBe(1)
    await expectNothingLeft(ws.root, dev.pid)
  }, 30_000)

  test('SIGKILL of the watchdog, then of the launcher: a new watchdog had taken over, and it sweeps', async () => {
    const ws = bunAndNode()
    const dev = startDev(ws.root)
    await dev.waitFor(/2 workers up/)
    const session = JSON.parse(readFileSync(join(devHome(ws.root), 'session.json'), 'utf8'))
    process.kill(session.watchdogPid, 'SIGKILL')
    await dev.waitFor(/the watchdog had died; a new one watches this session \(pid \d+\)/, { timeoutMs: 5000 })
    dev.proc.kill('SIGKILL')
    await dev.exited
    await expectNothingLeft(ws.root, dev.pid)
  }, 30_000)

  const escapes = { 'a grandchild whose parent exited': 'escape.ts', 'a child of the worker': 'escape-child.ts' } as const
  // A grandchild whose parent exited is handed to the launcher only by the subreaper, which only
  // Linux has (README, "macOS"): the portable backend lets it go, as on a Mac.
  const needsSubreaper = (script: string) => script === 'escape.ts' && osBackend() !== 'proc'
  for (const [who, script] of Object.entries(escapes)) for (const how of ['Ctrl-C', 'SIGKILL of the launcher'] as const) {
    test.skipIf(needsSubreaper(script))(`${who} that cleared its environment and left its group: gone after ${how}`, async () => {
      const ws = workspace(`{ workers: [{ name: 'escape', bun: 'escape.ts' }] }`, { 'escape.ts': fixture(script) })
      const dev = startDev(ws.root)
      await dev.waitFor(/1 worker up/)
      const escaped = Number((await dev.waitFor(/escaped (\d+)/))[1])
      expect(isAlive(escaped)).toBe(true)
      if (how === 'Ctrl-C') {
        expect(await stopDev(dev)).toBe(130)
      }
      else {
        dev.proc.kill('SIGKILL')
        await dev.exited
        await expectNothingLeft(ws.root, dev.pid)
      }
      const deadline = Date.now() + 5000
      while (isAlive(escaped) && Date.now() < deadline)
        await Bun.sleep(50)
      const alive = isAlive(escaped)
      if (alive)
        process.kill(escaped, 'SIGKILL')
      expect(alive).toBe(false)
    }, 30_000)
  }

  test('start --attach, then SIGKILL of the daemon: one line, exit 1 at once, the node worker gone', async () => {
    const ws = bunAndNode()
    const h = makePm2Home()
    try {
      const proc = Bun.spawn([BUN, '--no-env-file', ENTRY, 'start', '--attach'], { cwd: ws.root, env: childEnv({ PM2_HOME: h.path, NO_COLOR: '1' }), stdout: 'pipe', stderr: 'pipe' })
      let output = ''
      void (async () => {
        for await (const chunk of proc.stdout as ReadableStream<Uint8Array>)
          output += new TextDecoder().decode(chunk)
      })()
      // The node worker's pid, as the table shows it (printed after the summary: wait for its row, not the summary).
      const deadline = Date.now() + 15_000
      while (!/^api +primary +\d+/m.test(output) && Date.now() < deadline)
        await Bun.sleep(50)
      const api = Number(/^api +primary +(\d+)/m.exec(output)?.[1])
      expect(isAlive(api)).toBe(true)
      const killedAt = Date.now()
      process.kill(pidOf(join(h.path, 'pm2.pid')), 'SIGKILL')
      expect(await proc.exited).toBe(1)
      expect(Date.now() - killedAt).toBeLessThan(5000)
      const stderr = await new Response(proc.stderr).text()
      expect(stderr).toBe(`error: the PM2 daemon (${h.path}) died; stopping its workers and exiting 1 so that whatever runs this restarts it\n`)
      const gone = Date.now() + 3000
      while (isAlive(api) && Date.now() < gone)
        await Bun.sleep(50)
      expect(isAlive(api)).toBe(false)
    }
    finally {
      await h.close()
    }
  }, 30_000)
})
