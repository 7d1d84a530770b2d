// Progress on long work (issue 19): on a terminal, start, restart and stop show one live line
// while they wait, replaced by what they print when done; in a pipe they print what they did.
import { afterAll, expect, test } from 'bun:test'
import { expectNothingLeft, fixture } from '../helpers/dev-session.ts'
import { withHome } from '../helpers/pm2-home.ts'
import { runInTerminal } from '../helpers/pty-screen.ts'
import { tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)

test.concurrent('start and restart on a terminal: one live line while they wait, then the summary in its place; stop leaves no line behind', () => withHome(async (h) => {
  // db is ready after 3 s up; api waits for it.
  const ws = workspaces.make(`{ workers: [
    { name: 'db', bun: 'db.ts', options: { health: { readyAfter: '3s' } } },
    { name: 'api', bun: 'api.ts', dependsOn: ['db'] },
  ] }`, { 'db.ts': fixture('forever.ts'), 'api.ts': fixture('forever.ts') })
  const env = { PM2_HOME: h.path, NO_COLOR: '1' }
  const started = runInTerminal(['start'], { cwd: ws.root, env })
  await started.waitFor(/^starting 1 of 2 · ready 0 · waiting on db$/m, 15_000)
  expect(await started.exited).toBe(0)
  const summary = await started.waitFor(/ready in \d+ ms/)
  expect(summary).not.toMatch(/starting \d of 2/)
  expect(summary).toMatch(/^started db, api; ready in \d+ ms/m)

  const restarted = runInTerminal(['restart'], { cwd: ws.root, env })
  await restarted.waitFor(/^restarting \d of 2 · ready \d/m, 15_000)
  expect(await restarted.exited).toBe(0)
  expect(await restarted.waitFor(/^restarted /m)).not.toMatch(/restarting \d of 2/)

  const stopped = runInTerminal(['stop'], { cwd: ws.root, env })
  expect(await stopped.exited).toBe(0)
  expect(await stopped.waitFor(/stopped/)).not.toMatch(/stopping \d of 2/)
  // In a pipe: no live line, no escape codes.
  const piped = await h.cli(['start'], { cwd: ws.root })
  expect(piped.stdout).not.toContain('\x1B[2K')
  expect(piped.stdout).not.toMatch(/starting \d of 2/)
}), 60_000)

test.concurrent('dev\'s first start on a terminal: the live line stays below the workers\' lines until the summary takes its place', async () => {
  const ws = workspaces.make(`{ workers: [
    { name: 'db', bun: 'db.ts', options: { health: { readyAfter: '3s' } } },
    { name: 'api', bun: 'api.ts', dependsOn: ['db'] },
  ] }`, { 'db.ts': `console.log('db booting')\nsetInterval(() => console.log('db tick'), 300)\n`, 'api.ts': fixture('forever.ts') })
  const dev = runInTerminal(['dev'], { cwd: ws.root, env: { NO_COLOR: '1' } })
  try {
    // The last line of what is on screen, below db's lines as they come.
    const below = await dev.waitFor(s => /db +\| db tick/.test(s) && /starting 1 of 2 · ready 0 · waiting on db$/.test(s.trimEnd()), 15_000)
    expect(below.trimEnd().split('\n').at(-1)).toBe('starting 1 of 2 · ready 0 · waiting on db')
    const up = await dev.waitFor(/2 workers up in \d+ ms/, 15_000)
    expect(up).not.toMatch(/starting \d of 2/)
    dev.write('\x03')
    expect(await dev.exited).toBe(130)
    await expectNothingLeft(ws.root, dev.pid)
  }
  finally {
    dev.kill()
  }
}, 60_000)
