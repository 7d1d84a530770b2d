// `monit` as a person sees it (issue 19): run in a real pseudo-terminal, its screen read back through
// a headless xterm, keys typed into it; what it shows and does is checked against `status --json`.
import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { isAlive } from '../../src/os/processes.ts'
import { FOOTER } from '../../src/monit/keys.ts'
import { runCli } from '../helpers/cli.ts'
import { fixture, sessionWorkers, startDev, stopDev, stopLeftoverRuns } from '../helpers/dev-session.ts'
import { waitUntil } from '../helpers/net.ts'
import { type TestHome, withHome } from '../helpers/pm2-home.ts'
import { type PtyRun, runInTerminal } from '../helpers/pty-screen.ts'
import { type TempWorkspace, tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)
afterEach(stopLeftoverRuns, 20_000)

interface Row { name: string, pid: number | null, status: string, health: string, reason: string | null }

async function status(h: TestHome, ws: TempWorkspace): Promise<Row[]> {
  const result = await h.cli(['status', '--json'], { cwd: ws.root })
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout).workers
}

/** Two replicas of `web` and one `tick` (group `jobs`), each a process that stays up and says its pid once. */
function workspace(): TempWorkspace {
  return workspaces.make(`{ name: 'shop', workers: [
    { name: 'web', bun: 'forever.ts', options: { instances: 2 } },
    { name: 'tick', group: 'jobs', bun: 'forever.ts' },
  ] }`, { 'forever.ts': fixture('forever.ts') })
}

/** monit in a terminal of its own, on this test's PM2 home. */
function monit(h: TestHome, ws: TempWorkspace, args: string[] = [], size: { cols?: number, rows?: number } = {}): PtyRun {
  return runInTerminal(['monit', ...args], { cwd: ws.root, env: { PM2_HOME: h.path, NO_COLOR: '1' }, ...size })
}

/** A unit's row on the screen: its name (after the selection mark), then its status and health. */
const rowOf = (unit: string, rest = '') => new RegExp(`^[> ]${unit.replace('#', '\\#')} +${rest}`, 'm')

/** Quits with `q` (or Ctrl-C) and checks monit exited by itself, 0. */
async function quit(run: PtyRun, key = 'q'): Promise<void> {
  run.write(key)
  const code = await Promise.race([run.exited, Bun.sleep(10_000).then(() => 'still running')])
  if (code !== 0)
    run.kill()
  expect(code).toBe(0)
}

describe('monit', () => {
  test('a row per unit of start\'s daemon; a crash shows with its reason; r restarts the selected worker; q leaves every worker running', () => withHome(async (h) => {
    // `flaky` is ready after 1 s up, then exits with code 3 after 4 s, again and again.
    const ws = workspaces.make(`{ name: 'shop', workers: [
      { name: 'web', bun: 'forever.ts', options: { instances: 2 } },
      { name: 'tick', group: 'jobs', bun: 'forever.ts' },
      { name: 'flaky', group: 'jobs', bun: 'exit-later.ts', options: { max_restarts: 1000, env: { AFTER_MS: '4000' } } },
    ] }`, { 'forever.ts': fixture('forever.ts'), 'exit-later.ts': fixture('exit-later.ts') })
    expect((await h.cli(['start', '--group=primary,jobs'], { cwd: ws.root })).code).toBe(0)
    const before = (await status(h, ws)).filter(r => r.name !== 'flaky')
    const run = monit(h, ws)
    try {
      const screen = await run.waitFor(s => before.every(r => rowOf(r.name, `online +ready +${r.pid} `).test(s)))
      expect(screen).toContain(`bun-pm monit · shop · start's daemon (PM2_HOME=${h.path})`)
      expect(screen).toMatch(/^4 units: /m)
      expect(screen).toContain('↑↓/jk select  r restart  s stop/start  / filter  l logs  q quit')

      // A crash: its row says why (as status --json does), without a key pressed.
      await run.waitFor(rowOf('flaky', '.* exit code 3$'), 15_000)
      expect((await status(h, ws)).find(r => r.name === 'flaky')!.reason).toBe('exit code 3')

      // The second row selected, `r`: web is restarted as `restart` does it, both replicas.
      run.write('j')
      await run.waitFor(/^web#1 \(web, group primary\)/m)
      run.write('r')
      // What `r` did, by its outcome: both replicas on new pids. (The line that says it,
      // `restarted web (…)`, is the last thing said only until the next note: flaky's, every 4 s.)
      const replaced = (rows: Row[]) => ['web#0', 'web#1'].every(unit => rows.find(r => r.name === unit)?.pid !== before.find(r => r.name === unit)!.pid && rows.find(r => r.name === unit)?.status === 'online')
      await waitUntil(() => status(h, ws), replaced, 30_000)
      const after = await status(h, ws)
      for (const unit of ['web#0', 'web#1']) {
        const pid = after.find(r => r.name === unit)!.pid
        expect(pid).not.toBe(before.find(r => r.name === unit)!.pid)
        expect(after.find(r => r.name === unit)).toMatchObject({ status: 'online' })
      }
      // The selected unit's new process's first line, marked as stdout.
      const web1 = after.find(r => r.name === 'web#1')!.pid
      await run.waitFor(new RegExp(`^\\| forever ${web1}$`, 'm'))
      await run.waitFor(rowOf('web#1', `online +\\S+ +${web1} `))

      await quit(run)
      const left = (await status(h, ws)).filter(r => r.name !== 'flaky')
      expect(left.map(r => [r.name, r.status, r.pid])).toEqual(after.filter(r => r.name !== 'flaky').map(r => [r.name, 'online', r.pid]))
      for (const { pid } of left)
        expect(isAlive(pid!)).toBe(true)
    }
    finally {
      run.kill()
    }
  }), 90_000)

  test('/ filters by name or group, l hides and shows the output, s stops and starts the selected worker; readable at 80x24', () => withHome(async (h) => {
    const ws = workspace()
    expect((await h.cli(['start', '--group=primary,jobs'], { cwd: ws.root })).code).toBe(0)
    const run = monit(h, ws)
    try {
      await run.waitFor(rowOf('tick', 'online +ready'))
      run.write('/jobs\r')
      let screen = await run.waitFor(/filter: jobs/)
      expect(screen).toMatch(rowOf('tick'))
      expect(screen).not.toMatch(rowOf('web#0'))
      expect(screen).toContain('3 units (1 shown)')

      run.write('l')
      screen = await run.waitFor(s => !s.includes('its output'))
      run.write('l')
      await run.waitFor(/── tick: its output \(\| stdout, ! stderr\) ──/)

      // `s` on the one row shown: tick stops (and stays listed), then starts again.
      const pid = (await status(h, ws)).find(r => r.name === 'tick')!.pid
      run.write('s')
      await run.waitFor(rowOf('tick', 'stopped +none'), 15_000)
      expect((await status(h, ws)).find(r => r.name === 'tick')).toMatchObject({ status: 'stopped', pid: null })
      run.write('s')
      await run.waitFor(s => rowOf('tick', 'online').test(s) && /restarted tick \(/.test(s), 30_000)
      const restarted = await waitUntil(() => status(h, ws), rows => rows.find(r => r.name === 'tick')?.status === 'online', 10_000)
      expect(restarted.find(r => r.name === 'tick')!.pid).not.toBe(pid)

      // Esc: no filter. At 80x24 every row, the header and the footer are on the screen.
      run.write('\x1B')
      await run.waitFor(s => !s.includes('filter: jobs') && rowOf('web#0').test(s))
      run.resize(80, 24)
      screen = await run.waitFor(s => run.lines()[22] === '↑↓/jk select  r restart  s stop/start  / filter  l logs  q quit' && rowOf('web#1').test(s))
      const lines = run.lines()
      expect(lines[0]).toStartWith('bun-pm monit · shop · start\'s daemon')
      expect(lines[2]).toMatch(/^ NAME +STATUS +HEALTH +PID +CPU +MEM +↺ +UPTIME +LAST OK REASON$/)
      for (const unit of ['web#0', 'web#1', 'tick'])
        expect(lines.filter(l => rowOf(unit, 'online').test(l))).toHaveLength(1)
      // The capture in the README's `monit` section.
      console.log(`monit at 80x24:\n${lines.map(l => l.trimEnd()).join('\n')}`)
      await quit(run)
    }
    finally {
      run.kill()
    }
  }), 90_000)

  test('keys typed before monit has the terminal (a line, Enter made LF by the terminal) are taken: /jobs and Enter filter', () => withHome(async (h) => {
    const ws = workspace()
    expect((await h.cli(['start', '--group=primary,jobs'], { cwd: ws.root })).code).toBe(0)
    const run = monit(h, ws)
    try {
      run.write('/jobs\r')
      const screen = await run.waitFor(s => s.includes('3 units (1 shown)') && s.includes(FOOTER), 20_000)
      expect(screen).toMatch(rowOf('tick'))
      await quit(run)
    }
    finally {
      run.kill()
    }
  }), 60_000)

  test('a dev session: start\'s daemon is shown while it runs the workspace, --dev shows the session; r restarts a worker there; q leaves it running', () => withHome(async (h) => {
    const ws = workspace()
    expect((await h.cli(['start', '--group=primary,jobs'], { cwd: ws.root })).code).toBe(0)
    const dev = startDev(ws.root, [], { env: { PM2_HOME: h.path } })
    try {
      await dev.waitFor(/\| \d+ workers up in/, { timeoutMs: 20_000 })
      const preferred = monit(h, ws)
      try {
        await preferred.waitFor(/start's daemon/)
        await quit(preferred, '\x03')
      }
      finally {
        preferred.kill()
      }

      const run = monit(h, ws, ['--dev'])
      const shownPid = (unit: string, text: string) => Number(text.match(new RegExp(`^[> ]${unit.replace('#', '\\#')} +\\S+ +\\S+ +(\\d+) `, 'm'))?.[1])
      try {
        let screen = await run.waitFor(s => s.includes(`bun-pm monit · shop · dev session (pid ${dev.pid}, its own daemon)`) && rowOf('tick', 'online +ready').test(s), 15_000)
        const pids = sessionWorkers(ws.root)
        const web0 = shownPid('web#0', screen)
        expect(pids).toContain(web0)
        expect(pids).toContain(shownPid('tick', screen))
        run.write('r')
        screen = await run.waitFor(s => /restarted web \(PM2 restart, in the dev session\)/.test(s) && shownPid('web#0', s) !== web0 && rowOf('web#0', 'online').test(s), 20_000)
        await quit(run)
        // The session runs on, with the processes monit showed last.
        expect(sessionWorkers(ws.root)).toContain(shownPid('web#0', screen))
        expect(isAlive(dev.pid)).toBe(true)
      }
      finally {
        run.kill()
      }
    }
    finally {
      // Ends the session whether or not the test got this far, and checks nothing of it is left.
      expect(await stopDev(dev)).toBe(130)
    }
  }), 90_000)

  test('without a terminal: one line pointing at status --json and logs, exit 1', async () => {
    const result = await runCli(['monit'], { cwd: workspace().root })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toContain('`bun-pm status --json`')
    expect(result.stderr).toContain('`bun-pm logs`')
    expect(result.pm2HomeTouched).toBe(false)
  }, 15_000)
})
