import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { isAlive } from '../../src/os/processes.ts'
import { expectNothingLeft, fetchText, fetchUntil, fixture, freePort, startDev, stopDev, stopLeftoverRuns, workerPids } from '../helpers/dev-session.ts'
import { makeWorkspace, type TempWorkspace } from '../helpers/workspace.ts'

const made: TempWorkspace[] = []
afterEach(stopLeftoverRuns)
afterAll(() => made.forEach(ws => ws.remove()))

/** A workspace with a web server (on a free port) and a worker that runs a child process. */
function webAndChild(): { ws: TempWorkspace, port: number } {
  const port = freePort()
  const ws = makeWorkspace({
    'web.ts': fixture('serve.ts'),
    'child.ts': fixture('spawn-child.ts'),
  }, {
    config: `{ workers: [
      { name: 'web', bun: 'web.ts', options: { env: { PORT: '${port}' } } },
      { name: 'child', bun: 'child.ts' },
    ] }`,
  })
  made.push(ws)
  return { ws, port }
}

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const

describe('dev: ending leaves nothing behind', () => {
  for (const [signal, code] of Object.entries(EXIT_CODES)) {
    test(`${signal}: workers get SIGTERM, the launcher exits ${code}, nothing is left`, async () => {
      const { ws, port } = webAndChild()
      const dev = startDev(ws.root)
      await dev.waitFor(/2 workers up in \d+ ms/)
      const grandchild = Number((await dev.waitFor(/child (\d+)/))[1])
      expect(await fetchUntil(port, 'hello ')).toStartWith('hello ')
      dev.proc.kill(signal as NodeJS.Signals)
      expect(await dev.exited).toBe(code)
      expect(dev.output()).toMatch(/web +\| stopping on SIGTERM/)
      expect(dev.output()).toContain('web stopped')
      await expectNothingLeft(ws.root, dev.pid)
      expect(isAlive(grandchild)).toBe(false)
      expect(await fetchText(port)).toBeUndefined()
    }, 30_000)
  }

  test('SIGKILL of the launcher: the workers go away by themselves, and the next dev starts cleanly', async () => {
    const { ws, port } = webAndChild()
    const first = startDev(ws.root)
    await first.waitFor(/2 workers up/)
    const grandchild = Number((await first.waitFor(/child (\d+)/))[1])
    first.proc.kill('SIGKILL')
    await first.exited
    await expectNothingLeft(ws.root, first.pid, 8000)
    expect(isAlive(grandchild)).toBe(false)

    const second = startDev(ws.root)
    await second.waitFor(/2 workers up/)
    const pid = workerPids(second.output()).get('web')
    expect(await fetchUntil(port, 'hello ')).toBe(`hello ${pid}`)
    expect(second.output()).not.toContain('EADDRINUSE')
    expect(await stopDev(second)).toBe(130)
  }, 40_000)

  test('a second Ctrl-C kills at once, even a worker that ignores SIGTERM', async () => {
    const ws = makeWorkspace({ 'stubborn.ts': `process.on('SIGTERM', () => console.log('not stopping'))\nsetInterval(() => {}, 1000)\nconsole.log('stubborn up')\n` }, {
      config: `{ workers: [{ name: 'stubborn', bun: 'stubborn.ts', options: { kill_timeout: 20000 } }] }`,
    })
    made.push(ws)
    const dev = startDev(ws.root)
    await dev.waitFor(/1 worker up/)
    dev.proc.kill('SIGINT')
    await dev.waitFor(/not stopping/)
    // A second Ctrl-C by a person: later than the 150 ms in which two signals are one keypress.
    await Bun.sleep(300)
    dev.proc.kill('SIGINT')
    expect(await dev.exited).toBe(130)
    expect(dev.output()).toContain('forced')
    await expectNothingLeft(ws.root, dev.pid, 3000)
  }, 30_000)

  test('a second dev of the same workspace is refused while the first runs', async () => {
    const { ws } = webAndChild()
    const first = startDev(ws.root)
    await first.waitFor(/2 workers up/)
    const second = startDev(ws.root)
    expect(await second.exited).toBe(1)
    expect(second.output()).toContain(`another \`dev\` (pid ${first.pid}) is running this workspace`)
    await stopDev(first, 'SIGTERM')
  }, 30_000)
})
