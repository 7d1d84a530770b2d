import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { devHome } from '../../src/dev/session.ts'
import { allPids, descendantsOf, environOf, isAlive, startTime } from '../../src/os/processes.ts'
import { BUN, ENTRY } from '../helpers/cli.ts'
import { expectNothingLeft, fixture, startDev, stopLeftoverRuns } from '../helpers/dev-session.ts'
import { makePm2Home } from '../helpers/pm2-home.ts'
import { makeWorkspace, type TempWorkspace } from '../helpers/workspace.ts'

const made: TempWorkspace[] = []
const dirs: string[] = []
afterEach(stopLeftoverRuns)
afterAll(() => {
  made.forEach(ws => ws.remove())
  dirs.forEach(dir => rmSync(dir, { recursive: true, force: true }))
})

const isRoot = process.getuid?.() === 0
if (!isRoot)
  console.log('test/faults/security: the second-user and planted-owner cases need root (to create a temporary system user and to chown); they are skipped')
const mode = (path: string) => statSync(path).mode & 0o777

function workspace(): TempWorkspace {
  const ws = makeWorkspace({ 'tick.ts': fixture('forever.ts') }, { config: `{ workers: [{ name: 'tick', bun: 'tick.ts' }] }` })
  made.push(ws)
  return ws
}

/** A HOME of the test's own, so that a planted session folder touches no other test. */
function fakeHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-pm-home-'))
  dirs.push(dir)
  return dir
}

/** The dev session folder of `root` for a user whose HOME is `home` (no XDG_RUNTIME_DIR, no XDG_CACHE_HOME). */
const sessionDir = (home: string, root: string) => join(home, '.cache/bun-pm/dev', devHome(root).split('/').at(-1)!)

/** Runs `fn` as a temporary system user (root only): the neighbour who should see nothing. */
function asOtherUser(command: string[]): { code: number, out: string } {
  const name = `bunpm${Math.floor(Math.random() * 1e6)}`
  // The administrator's tools, found where they live even when PATH lacks the sbin folders.
  const sbin = (tool: string) => Bun.which(tool, { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` }) ?? tool
  Bun.spawnSync([sbin('useradd'), '--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name])
  try {
    const result = Bun.spawnSync([sbin('runuser'), '-u', name, '--', ...command])
    return { code: result.exitCode, out: `${result.stdout}${result.stderr}` }
  }
  finally {
    Bun.spawnSync([sbin('userdel'), name])
  }
}

describe('security: the dev session', () => {
  test('its folders are 0700 and the user\'s, its session file 0600; another user can read nothing of it', async () => {
    const ws = workspace()
    // A HOME others may enter (as most are), so that only the session's own folders protect it.
    const user = fakeHome()
    chmodSync(user, 0o755)
    const dev = startDev(ws.root, [], { env: { HOME: user, XDG_RUNTIME_DIR: '', XDG_CACHE_HOME: '' } })
    await dev.waitFor(/1 worker up/)
    const home = sessionDir(user, ws.root)
    expect([mode(dirname(home)), mode(home), mode(join(home, 'session.json'))]).toEqual([0o700, 0o700, 0o600])
    expect(statSync(home).uid).toBe(process.getuid!())
    if (isRoot) {
      const other = asOtherUser(['cat', join(home, 'session.json'), join(home, 'logs/tick-out.log')])
      expect(other.code).not.toBe(0)
      expect(other.out).toContain('Permission denied')
      // `status` finds the session by the same folders: its owner sees it; another user, even
      // pointed at those folders, sees start's daemon (none here) and not the session.
      chmodSync(ws.root, 0o755)
      // (bun's transpiler cache off: with XDG_CACHE_HOME empty it would be written into the cwd.)
      const status = ['env', `HOME=${user}`, 'XDG_RUNTIME_DIR=', 'XDG_CACHE_HOME=', 'BUN_RUNTIME_TRANSPILER_CACHE_PATH=0', `PM2_HOME=${join(user, 'no-pm2')}`, BUN, '--no-env-file', ENTRY, 'status', '--json', `--cwd=${ws.root}`]
      const mine = Bun.spawnSync(status)
      expect(JSON.parse(mine.stdout.toString())).toMatchObject({ daemon: 'dev', devSession: { pid: dev.pid } })
      // Only where the other user can run this checkout's bun and read its source (a clone in a
      // 0700 temporary folder, as CI makes, they cannot: the folder checks above still hold there).
      if (asOtherUser(['test', '-x', BUN, '-a', '-r', ENTRY]).code === 0) {
        const theirs = asOtherUser(status)
        expect(theirs.out).toContain('"daemon": "start"')
        expect(theirs.out).toContain('"devSession": null')
      }
    }
    dev.proc.kill('SIGINT')
    expect(await dev.exited).toBe(130)
    expect(allPids().filter(pid => environOf(pid).some(e => e.startsWith(`PM2_HOME=${user}`)))).toEqual([])
  }, 30_000)

  test.skipIf(!isRoot)('a session folder someone else created first, or a link, is refused in one line and nothing starts', async () => {
    for (const plant of ['another owner', 'a link'] as const) {
      const ws = workspace()
      const home = fakeHome()
      const base = join(home, '.cache/bun-pm/dev')
      if (plant === 'another owner') {
        mkdirSync(base, { recursive: true, mode: 0o777 })
        chownSync(base, 54321, 54321)
      }
      else {
        mkdirSync(dirname(base), { recursive: true })
        const elsewhere = fakeHome()
        symlinkSync(elsewhere, base)
      }
      const dev = startDev(ws.root, [], { env: { HOME: home, XDG_RUNTIME_DIR: '', XDG_CACHE_HOME: '' } })
      expect(await dev.exited).toBe(1)
      const out = dev.output()
      expect(out.trim().split('\n')).toHaveLength(1)
      expect(out).toMatch(plant === 'a link'
        ? /^error: .*\/\.cache\/bun-pm\/dev: bun-pm keeps its dev session here, but this is a link; remove it/
        : /^error: .*\/\.cache\/bun-pm\/dev: bun-pm keeps its dev session here, but this is owned by uid 54321, not you \(uid 0\); remove it/)
      expect(allPids().filter(pid => environOf(pid).some(e => e.startsWith('PM2_HOME=') && e.includes(home)))).toEqual([])
    }
  }, 30_000)

  test('a planted session.json names no process to kill, and a launcherPid of 1 does not stop dev', async () => {
    const ws = workspace()
    const home = fakeHome()
    const dir = sessionDir(home, ws.root)
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const stranger = Bun.spawn(['sleep', '60'])
    try {
      writeFileSync(join(dir, 'session.json'), JSON.stringify({
        root: ws.root,
        token: 'ab'.repeat(16),
        launcherPid: 1,
        launcherStart: startTime(1),
        watchdogPid: stranger.pid,
        watchdogStart: startTime(stranger.pid),
      }))
      const dev = startDev(ws.root, [], { env: { HOME: home, XDG_RUNTIME_DIR: '', XDG_CACHE_HOME: '' } })
      await dev.waitFor(/1 worker up/)
      expect(isAlive(stranger.pid)).toBe(true)
      dev.proc.kill('SIGINT')
      expect(await dev.exited).toBe(130)
      expect(isAlive(stranger.pid)).toBe(true)
    }
    finally {
      stranger.kill('SIGKILL')
    }
  }, 30_000)

  test('the sweep takes only the session: a process that carries the session\'s path and leads a group survives', async () => {
    const ws = workspace()
    const dev = startDev(ws.root)
    await dev.waitFor(/1 worker up/)
    const home = devHome(ws.root)
    // What the old sweep matched: PM2_HOME and the old marker set to the session's folder.
    const bystander = Bun.spawn(['setsid', 'sh', '-c', 'sleep 60 & wait'], { env: { ...process.env, PM2_HOME: home, BUN_PM_DEV_HOME: home } })
    // Its group has a member once the shell started its sleep.
    while (descendantsOf([bystander.pid]).length === 0)
      await Bun.sleep(10)
    dev.proc.kill('SIGINT')
    expect(await dev.exited).toBe(130)
    const survived = isAlive(bystander.pid)
    process.kill(-bystander.pid, 'SIGKILL')
    await bystander.exited
    expect(survived).toBe(true)
    await expectNothingLeft(ws.root, dev.pid)
  }, 30_000)
})

describe('security: start', () => {
  test('.env values stay out of the daemon and the agent; the PM2 home is 0700, the agent\'s state 0600', async () => {
    const ws = makeWorkspace({ 'tick.ts': fixture('forever.ts'), '.env': 'API_SECRET=s3cr3t-in-dotenv\n' }, { config: `{ workers: [{ name: 'tick', bun: 'tick.ts' }] }` })
    made.push(ws)
    const h = makePm2Home()
    try {
      chmodSync(h.path, 0o755)
      expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
      expect(mode(h.path)).toBe(0o700)
      const daemon = Number(readFileSync(join(h.path, 'pm2.pid'), 'utf8'))
      const withSecret = h.processes().filter(pid => environOf(pid).some(entry => entry.includes('s3cr3t-in-dotenv')))
      // Only the worker, whose environment it is.
      expect(withSecret).not.toContain(daemon)
      expect(withSecret).toHaveLength(1)
      const state = join(h.path, 'bun-pm', `${ws.root.split('/').at(-1)}.health.json`)
      expect([mode(dirname(state)), mode(state)]).toEqual([0o700, 0o600])
      expect(readFileSync(state, 'utf8')).not.toContain('s3cr3t')
      // `pm2 save` writes every app's environment to dump.pm2: inside the 0700 home, nobody else reads it.
      expect(h.pm2(['save']).code).toBe(0)
      expect(readFileSync(join(h.path, 'dump.pm2'), 'utf8')).toContain('s3cr3t-in-dotenv')
      if (isRoot) {
        const other = asOtherUser(['cat', join(h.path, 'dump.pm2')])
        expect(other.code).not.toBe(0)
        expect(other.out).toContain('Permission denied')
      }
    }
    finally {
      await h.close()
    }
  }, 30_000)
})
