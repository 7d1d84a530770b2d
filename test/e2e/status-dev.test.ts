// `status` and `logs` of a workspace that only a `dev` session runs (issue 21): from another
// process they show that session's workers and say so; with nothing running, what they say to
// run is named as the user runs bun-pm (a checkout's `bun-pm`, `npx bun-pm`, a script of theirs).
import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { devHome } from '../../src/dev/session.ts'
import { daemonRunning } from '../../src/pm2/home.ts'
import { BUN, childEnv, ENTRY } from '../helpers/cli.ts'
import { fixture, sessionWorkers, startDev, stopDev, stopLeftoverRuns } from '../helpers/dev-session.ts'
import { withHome } from '../helpers/pm2-home.ts'
import { type TempWorkspace, tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)
afterEach(stopLeftoverRuns, 20_000)

/** Two replicas of `web` and one `tick`, each a process that stays up and says its pid once. */
function workspace(): TempWorkspace {
  return workspaces.make(`{ name: 'shop', workers: [
    { name: 'web', bun: 'forever.ts', options: { instances: 2 } },
    { name: 'tick', bun: 'forever.ts' },
  ] }`, { 'forever.ts': fixture('forever.ts') })
}

interface Row { name: string, pid: number | null, status: string }

describe('status and logs see a dev session', () => {
  test('from another process: status (--json and the table) shows its workers and says it is the dev session; logs --no-follow prints their lines; stop says how it stops', () => withHome(async (h) => {
    const ws = workspace()
    const dev = startDev(ws.root, [], { env: { PM2_HOME: h.path } })
    try {
      await dev.waitFor(/\| \d+ workers up in/, { timeoutMs: 20_000 })
      const workers = sessionWorkers(ws.root)
      expect(workers).toHaveLength(3)

      const json = await h.cli(['status', '--json'], { cwd: ws.root })
      expect(json.code).toBe(0)
      const status = JSON.parse(json.stdout) as { daemon: string, devSession: { pid: number } | null, pm2Home: string, workers: Row[] }
      expect([status.daemon, status.devSession, status.pm2Home]).toEqual(['dev', { pid: dev.pid }, devHome(ws.root)])
      expect(status.workers.map(r => r.status)).toEqual(['online', 'online', 'online'])
      expect(status.workers.map(r => r.pid).sort()).toEqual([...workers].sort())

      const table = await h.cli(['status'], { cwd: ws.root })
      expect(table.code).toBe(0)
      expect(table.stdout.split('\n')[0]).toBe(`shop · dev session (pid ${dev.pid}, its own daemon)`)
      for (const pid of workers)
        expect(table.stdout).toContain(` ${pid} `)
      // --dev asks for the session: the same.
      expect(JSON.parse((await h.cli(['status', '--json', '--dev'], { cwd: ws.root })).stdout).devSession).toEqual({ pid: dev.pid })

      const logs = await h.cli(['logs', '--no-follow'], { cwd: ws.root })
      expect(logs.code).toBe(0)
      expect(logs.stderr).toBe(`logs of shop · dev session (pid ${dev.pid}, its own daemon)\n`)
      for (const pid of workers)
        expect(logs.stdout).toMatch(new RegExp(`^(web#[01]|tick) +\\| \\d\\d:\\d\\d:\\d\\d forever ${pid}$`, 'm'))
      const lines = (await h.cli(['logs', '--no-follow', '--json', '--workers=tick'], { cwd: ws.root })).stdout.trim().split('\n').map(line => JSON.parse(line) as { unit: string, text: string })
      expect(lines.map(l => l.unit)).toEqual(['tick'])
      expect(workers.map(pid => `forever ${pid}`)).toContain(lines[0]!.text)

      // stop and restart act on start's daemon only: they say where the workers run and how that stops.
      const stop = await h.cli(['stop'], { cwd: ws.root })
      expect([stop.code, stop.stderr]).toEqual([1, `error: \`stop\` acts on \`start\`'s PM2 daemon, and none runs for ${h.path}; your \`dev\` session of ${ws.root} (pid ${dev.pid}) runs the workers: it restarts a worker you edit, and Ctrl-C in its terminal stops it\n`])
      expect(sessionWorkers(ws.root).sort()).toEqual([...workers].sort())
      // start says the session is there before it would start a second copy of its workers.
      const dry = await h.cli(['start', '--dry-run'], { cwd: ws.root })
      expect(dry.stderr).toBe(`note: your \`dev\` session of ${ws.root} (pid ${dev.pid}) runs this workspace's workers on a daemon of its own; a worker here that needs a port one of them holds fails ("port in use"): stop dev first (Ctrl-C in its terminal)\n`)
      // None of them started start's daemon.
      expect(daemonRunning(h.path)).toBe(false)
    }
    finally {
      expect(await stopDev(dev)).toBe(130)
    }
  }), 60_000)

  test('beside start\'s daemon running the workspace: status and logs show start\'s, --dev the session', () => withHome(async (h) => {
    const ws = workspace()
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const dev = startDev(ws.root, [], { env: { PM2_HOME: h.path } })
    try {
      await dev.waitFor(/\| \d+ workers up in/, { timeoutMs: 20_000 })
      const statusOf = async (args: string[]) => JSON.parse((await h.cli(['status', '--json', ...args], { cwd: ws.root })).stdout) as { daemon: string, devSession: { pid: number } | null, pm2Home: string, workers: Row[] }
      const started = await statusOf([])
      expect([started.daemon, started.devSession, started.pm2Home]).toEqual(['start', null, h.path])
      expect(started.workers.every(r => r.pid !== null && !sessionWorkers(ws.root).includes(r.pid))).toBe(true)
      const session = await statusOf(['--dev'])
      expect([session.daemon, session.devSession]).toEqual(['dev', { pid: dev.pid }])
      expect(session.workers.map(r => r.pid).sort()).toEqual(sessionWorkers(ws.root).sort())
      expect((await h.cli(['logs', '--no-follow'], { cwd: ws.root })).stderr).toBe(`logs of shop · start's daemon (PM2_HOME=${h.path})\n`)
      expect((await h.cli(['logs', '--no-follow', '--dev'], { cwd: ws.root })).stderr).toBe(`logs of shop · dev session (pid ${dev.pid}, its own daemon)\n`)
    }
    finally {
      expect(await stopDev(dev)).toBe(130)
    }
  }), 60_000)

  test('with nothing running: status shows every worker not running on start\'s daemon; logs and --dev say what to run, named as the user runs bun-pm', () => withHome(async (h) => {
    const ws = workspace()
    const status = await h.cli(['status'], { cwd: ws.root })
    expect(status.code).toBe(0)
    expect(status.stdout.split('\n')[0]).toBe(`shop · start's daemon (PM2_HOME=${h.path})`)
    expect(status.stdout).toContain('not running')

    // From a checkout of bun-pm (as the tests run it): its binary.
    const nothing = `error: nothing runs ${ws.root}: no PM2 daemon runs for ${h.path} and no \`dev\` session of yours runs here; start it with`
    const elsewhere = ' (or set PM2_HOME to the home of the daemon that runs it)'
    const logs = await h.cli(['logs', '--no-follow'], { cwd: ws.root })
    expect([logs.code, logs.stdout, logs.stderr]).toEqual([1, '', `${nothing} \`bun-pm start\` or \`bun-pm dev\`${elsewhere}\n`])
    const dev = await h.cli(['status', '--dev'], { cwd: ws.root })
    expect([dev.code, dev.stderr]).toEqual([1, `error: --dev: no \`dev\` session of yours runs ${ws.root}; start one with \`bun-pm dev\`, or leave out --dev for \`start\`'s daemon\n`])

    // In a project that has bun-pm in node_modules/.bin, run by npx: `npx bun-pm …`.
    mkdirSync(join(ws.root, 'node_modules/.bin'))
    writeFileSync(join(ws.root, 'node_modules/.bin/bun-pm'), `#!/bin/sh\nexec "${BUN}" --no-env-file "${ENTRY}" "$@"\n`)
    chmodSync(join(ws.root, 'node_modules/.bin/bun-pm'), 0o755)
    // Its own `start` script (not bun-pm's), and bun-pm's dev and logs.
    writeFileSync(join(ws.root, 'package.json'), JSON.stringify({ name: 'shop', scripts: { start: 'node server.js', dev: 'bun-pm dev', logs: 'bun-pm logs --no-follow' } }))
    // As from the user's shell: without the variables of the package manager that runs these tests (`npx bun test`).
    const shell = Object.fromEntries(Object.keys(process.env).filter(key => key.startsWith('npm_')).map(key => [key, undefined]))
    const run = async (command: string[]) => {
      const proc = Bun.spawn(command, { cwd: ws.root, env: childEnv({ ...shell, PM2_HOME: h.path, NO_COLOR: '1' }), stdout: 'pipe', stderr: 'pipe' })
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
      return { code, stdout, stderr }
    }
    const npx = await run(['npx', '--no-install', 'bun-pm', 'logs', '--no-follow'])
    expect([npx.code, npx.stderr]).toEqual([1, `${nothing} \`npx bun-pm start\` or \`npx bun-pm dev\`${elsewhere}\n`])
    // Through the project's script under bun: its `dev` script by name; `start` is the project's own, so bunx.
    const script = await run([BUN, 'run', 'logs'])
    expect(script.code).toBe(1)
    expect(script.stderr).toContain(`${nothing} \`bunx bun-pm start\` or \`bun dev\`${elsewhere}\n`)
    expect(daemonRunning(h.path)).toBe(false)
  }), 60_000)
})
