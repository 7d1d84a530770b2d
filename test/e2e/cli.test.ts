import { afterAll, describe, expect, test } from 'bun:test'
import pkg from '../../package.json' with { type: 'json' }
import { runCli } from '../helpers/cli.ts'
import { fixture } from '../helpers/dev-session.ts'
import { type TestHome, withHome } from '../helpers/pm2-home.ts'
import { IMPORT_DEFINE, makeWorkspace, type TempWorkspace } from '../helpers/workspace.ts'

const made: TempWorkspace[] = []
afterAll(() => made.forEach(ws => ws.remove()))

function workspace(workers: string): TempWorkspace {
  const ws = makeWorkspace({ 'tick.ts': fixture('forever.ts') }, { config: `{ workers: [${workers}] }` })
  made.push(ws)
  return ws
}

const status = async (h: TestHome, ws: TempWorkspace) => JSON.parse((await h.cli(['status', '--json'], { cwd: ws.root })).stdout).workers as { name: string, status: string }[]

describe('the CLI', () => {
  test.concurrent('--version and -v print the version; a misspelt command suggests the closest; help finds a command by its alias', async () => {
    for (const flag of ['--version', '-v'])
      expect(await runCli([flag])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
    const typo = await runCli(['strat'])
    expect(typo.code).toBe(1)
    expect(typo.stderr).toMatch(/^error: Unknown command strat \(did you mean "start"\?\); the commands are dev, start, status/)
    expect(typo.stderr).not.toContain('__complete')
    expect((await runCli(['ls', '--help'])).stdout).toContain('bun-pm status')
  }, 30_000)

  test.concurrent('a worker that runs but left the config can be stopped by name; restart says why not, and of a worker never started says to start it', () => withHome(async (h) => {
    const ws = workspace(`{ name: 'billing', bun: 'tick.ts' }, { name: 'tick', bun: 'tick.ts' }, { name: 'later', group: 'other', bun: 'tick.ts' }`)
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    ws.write('pm.config.ts', `${IMPORT_DEFINE}export default defineWorkspace({ workers: [{ name: 'invoices', bun: 'tick.ts' }, { name: 'tick', bun: 'tick.ts' }, { name: 'later', group: 'other', bun: 'tick.ts' }, { name: 'old', activated: false, bun: 'tick.ts' }] })\n`)
    const restart = await h.cli(['restart', '--workers=billing'], { cwd: ws.root })
    expect([restart.code, restart.stderr]).toEqual([1, 'error: pm.config.ts: billing runs but is no longer in the config, so there is nothing to restart it with; `bun-pm start` removes it, `bun-pm stop --workers=billing` stops it\n'])
    const never = await h.cli(['restart', '--workers=later'], { cwd: ws.root })
    expect([never.code, never.stderr]).toEqual([1, 'error: pm.config.ts: later is not on the PM2 daemon (never started, or removed); start it with `bun-pm start --workers=later`\n'])
    expect((await h.cli(['stop', '--workers=billing'], { cwd: ws.root })).code).toBe(0)
    const rows = await status(h, ws)
    expect(rows.map(r => [r.name, r.status])).toEqual([['invoices', 'not running'], ['tick', 'online'], ['later', 'not running'], ['old', 'deactivated'], ['billing', 'stopped']])
  }), 30_000)
})
