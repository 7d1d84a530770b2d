// `bun-pm run -- <command>` (issue 20): the workspace up on a private daemon, the command run
// against it with the workers' addresses, everything gone after — by exit, by failure, by SIGKILL.
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { BUN, childEnv, ENTRY, runCli } from '../helpers/cli.ts'
import { fixture, freePort } from '../helpers/dev-session.ts'
import { waitUntil } from '../helpers/net.ts'
import { tempWorkspaces } from '../helpers/workspace.ts'
import { allPids, environOf, isAlive } from '../../src/os/processes.ts'

const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)

/** Every process whose environment names the run's PM2 home: the daemon, workers, agent, the command. */
const processesOf = (home: string) => allPids().filter(pid => environOf(pid).some(e => e === `PM2_HOME=${home}` || e === `BUN_PM_HOME=${home}`))

function web(port: number, extra = '') {
  return workspaces.make(`{ workers: [
    { name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${port}/health', options: { env: { PORT: '${port}' } } }${extra},
  ] }`, { 'web.ts': fixture('serve-versioned.ts'), '.env': 'VERSION=v1\n' })
}

const FETCH = `console.log(process.env.BUN_PM_HOME); console.log(await (await fetch(process.env.BUN_PM_URL_WEB + '/')).text())`

describe('bun-pm run', () => {
  test.concurrent('the command runs once the workers are ready, with their addresses; its exit code is run\'s, and nothing is left', async () => {
    const ws = web(freePort())
    const ok = await runCli(['run', '--', BUN, '-e', FETCH], { cwd: ws.root })
    expect(`${ok.code}`).toBe('0')
    const [home, answer] = ok.stdout.trim().split('\n')
    expect(answer).toMatch(/^v1 \d+$/)
    // The workers' and bun-pm's lines are on stderr: the command's stdout is its own.
    expect(ok.stderr).toMatch(/web ready: GET \/health -> 200/)
    expect(ok.stderr).toMatch(/1 worker ready in \d+ ms; running /)
    expect(existsSync(home!)).toBe(false)
    expect(processesOf(home!)).toEqual([])
    const missing = await runCli(['run', '--', 'no-such-command-here'], { cwd: ws.root })
    expect(missing.code).toBe(127)
    expect(missing.stderr).toContain('error: the command did not run: no-such-command-here: no such command (not a file, and not on PATH)')
    expect(missing.stderr).not.toContain('not a mistake in your config')
    const failed = await runCli(['run', '--', BUN, '-e', `${FETCH}; process.exit(7)`], { cwd: ws.root })
    expect(failed.code).toBe(7)
    expect(processesOf(failed.stdout.split('\n')[0]!)).toEqual([])
  }, 60_000)

  test.concurrent('a worker that never becomes ready: the command never runs, exit 1 naming it and why, with its lines', async () => {
    const ws = workspaces.make(`{ workers: [{ name: 'broken', bun: 'broken.ts', heartbeat: 'http://127.0.0.1:${freePort()}/' }] }`, {
      'broken.ts': `console.error('cannot reach the database')\nprocess.exit(2)\n`,
    })
    const result = await runCli(['run', '--timeout=10', '--', 'touch', 'ran'], { cwd: ws.root })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('error: worker "broken" is not ready')
    expect(result.stderr).toContain('broken | cannot reach the database')
    expect(result.stderr).toContain('error: the command did not run: broken did not become ready')
    expect(existsSync(join(ws.root, 'ran'))).toBe(false)
  }, 60_000)

  test.concurrent('a crash while the command runs is said at once; --strict makes it run\'s failure', async () => {
    const ws = workspaces.make(`{ workers: [{ name: 'tick', bun: 'tick.ts', options: { env: { } } }] }`, { 'tick.ts': fixture('forever.ts') })
    // The command kills the worker by the pid the run's own status gives it, then waits a moment.
    const script = `const h = process.env.BUN_PM_HOME; const s = JSON.parse(require('node:child_process').execFileSync(process.execPath, ['--no-env-file', '${ENTRY}', 'status', '--json'], { env: { ...process.env, PM2_HOME: h } }).toString()); process.kill(s.workers[0].pid, 'SIGKILL'); await Bun.sleep(3000)`
    const lenient = await runCli(['run', '--', BUN, '-e', script], { cwd: ws.root })
    expect(lenient.stderr).toMatch(/tick/)
    expect(lenient.stderr).toContain('error: a worker crashed while the command ran; its lines are above')
    expect(lenient.code).toBe(0)
    const strict = await runCli(['run', '--strict', '--', BUN, '-e', script], { cwd: ws.root })
    expect(strict.code).toBe(1)
    expect(strict.stderr).toContain('(--strict: run fails)')
  }, 60_000)

  test.concurrent('SIGKILL of run while the command runs: the watchdog ends the command, the workers and the daemon', async () => {
    const ws = web(freePort())
    const proc = Bun.spawn([BUN, '--no-env-file', ENTRY, 'run', '--', BUN, '-e', `console.log(process.env.BUN_PM_HOME); await Bun.sleep(60_000)`], { cwd: ws.root, env: childEnv({ NO_COLOR: '1' }), stdout: 'pipe', stderr: 'pipe' })
    const reader = proc.stdout.getReader()
    const home = new TextDecoder().decode((await reader.read()).value).trim()
    const before = processesOf(home)
    expect(before.length).toBeGreaterThanOrEqual(3)
    proc.kill('SIGKILL')
    const left = await waitUntil(() => processesOf(home).filter(isAlive), pids => pids.length === 0, 10_000, 100)
    expect(left).toEqual([])
  }, 60_000)
})

