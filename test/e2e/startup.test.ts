import { afterAll, describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { BUN, childEnv, ENTRY, runCli } from '../helpers/cli.ts'
import { fixture } from '../helpers/dev-session.ts'
import { withHome } from '../helpers/pm2-home.ts'
import { daemonRunning } from '../../src/pm2/home.ts'
import { systemdErrors } from '../helpers/validators.ts'
import { tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
const dirs: string[] = []
afterAll(() => {
  workspaces.removeAll()
  dirs.forEach(dir => rmSync(dir, { recursive: true, force: true }))
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bun-pm-test-units-'))
  dirs.push(dir)
  return dir
}

/** A workspace in a folder whose path needs systemd's quoting (a space, a `%`, a `$`). */
function shop() {
  const ws = workspaces.make(`{ name: 'shop', workers: [
    { name: 'db', bun: 'tick.ts', options: { kill_timeout: 3000 } },
    { name: 'api', bun: 'tick.ts', dependsOn: ['db'] },
  ] }`, { 'tick.ts': fixture('forever.ts') })
  const root = join(ws.root, 'my shop 100%$HOME')
  mkdirSync(root)
  for (const file of ['pm.config.ts', 'tick.ts'])
    writeFileSync(join(root, file), readFileSync(join(ws.root, file)))
  symlinkSync(join(ws.root, 'node_modules'), join(root, 'node_modules'))
  return root
}

/** One setting's words as systemd reads them: "…" with C escapes, then `$$` and `%%` as themselves. */
function words(value: string): string[] {
  return [...value.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map(m => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!).replace(/\$\$/g, '$').replace(/%%/g, '%'))
}

function settings(unit: string, key: string): string[] {
  return unit.split('\n').filter(line => line.startsWith(`${key}=`)).map(line => line.slice(key.length + 1))
}

/** `systemd-analyze verify` of a user unit: a user manager of its own (a temporary runtime folder). */
function userUnitErrors(file: string): string[] | undefined {
  const runtime = tempDir()
  const result = spawnSync('systemd-analyze', ['--user', 'verify', '--man=no', file], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: runtime } })
  if (result.error)
    return undefined
  const said = `${result.stdout}${result.stderr}`.split('\n').filter(Boolean)
  return result.status === 0 && said.length === 0 ? [] : said.length > 0 ? said : [`exit ${result.status}`]
}

function expectVerified(errors: string[] | undefined): void {
  // Outside CI a machine without systemd skips the check and says so; CI must run it (.ci/run installs it).
  if (errors === undefined && !process.env.CI)
    console.warn('SKIPPED: systemd-analyze is not installed here; `apt-get install systemd` to check the unit')
  else
    expect(errors).toEqual([])
}

/** PATH for `--install` runs: bun's folder alone, never systemctl, so nothing is ever enabled on this machine. */
const NO_SYSTEMCTL = dirname(BUN)

describe('startup', () => {
  test('prints a system unit that systemd-analyze verify accepts, with this machine\'s absolute paths; its ExecStart runs the workspace and SIGTERM stops it', async () => {
    const root = shop()
    await withHome(async (h) => {
      const result = await runCli(['startup', '--workers=api'], { cwd: root, env: { PM2_HOME: h.path } })
      expect(result.code).toBe(0)
      const unit = result.stdout
      expect(result.stderr).toContain('/etc/systemd/system/bun-pm-shop.service is where it goes')
      expect(result.stderr).toContain('sudo bun-pm startup --workers=api --install')
      expect(result.pm2HomeTouched).toBe(false)
      expect(settings(unit, 'Type')).toEqual(['simple'])
      expect(settings(unit, 'KillSignal')).toEqual(['SIGTERM'])
      expect(settings(unit, 'Restart')).toEqual(['on-failure'])
      expect(settings(unit, 'WantedBy')).toEqual(['multi-user.target'])
      // A path, not words: only specifiers are escaped in it.
      expect(settings(unit, 'WorkingDirectory').map(path => path.replace(/%%/g, '%'))).toEqual([root])
      const env = Object.fromEntries(settings(unit, 'Environment').flatMap(words).map(kv => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
      expect(env.PM2_HOME).toBe(h.path)
      const exec = words(settings(unit, 'ExecStart')[0]!)
      expect(exec).toEqual([BUN, '--no-env-file', ENTRY, 'start', '--attach', '--workers=api'])
      // db's kill_timeout and api's PM2 default, and 30 s more, is less than systemd's usual 90 s.
      expect(settings(unit, 'TimeoutStopSec')).toEqual(['1m30s'])

      const file = join(tempDir(), 'bun-pm-shop.service')
      writeFileSync(file, unit)
      expectVerified(systemdErrors([file]))

      // What systemd would run: the command, in its folder, with its environment; then its stop signal.
      const proc = Bun.spawn(exec, { cwd: root, env: childEnv({ ...env, NO_COLOR: '1' }), stdout: 'pipe', stderr: 'pipe' })
      const output = new Response(proc.stdout).text()
      const deadline = Date.now() + 30_000
      const online = () => {
        // PM2's CLI starts a daemon of its own when none runs: asked only once start's runs.
        if (!daemonRunning(h.path))
          return []
        const list = JSON.parse(h.pm2(['jlist']).stdout.trim().split('\n').at(-1) || '[]')
        return list.filter((p: any) => p.pm2_env.namespace === 'shop' && p.pm2_env.status === 'online').map((p: any) => p.name).sort()
      }
      while (online().length < 3 && Date.now() < deadline && proc.exitCode === null)
        await Bun.sleep(200)
      expect(online()).toEqual(['api', 'db', 'shop:health'])
      proc.kill('SIGTERM')
      expect(await proc.exited).toBe(0)
      expect(await output).toContain('attached to 2 workers')
    })
  }, 60_000)

  test('--user: a user unit (default.target, no User=) that a user manager\'s verify accepts', async () => {
    const root = shop()
    const result = await runCli(['startup', '--user'], { cwd: root })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('.config/systemd/user/bun-pm-shop.service is where it goes')
    expect(result.stderr).toContain('loginctl enable-linger')
    expect(settings(result.stdout, 'WantedBy')).toEqual(['default.target'])
    expect(settings(result.stdout, 'User')).toEqual([])
    const file = join(tempDir(), 'bun-pm-shop.service')
    writeFileSync(file, result.stdout)
    expectVerified(userUnitErrors(file))
  }, 30_000)

  test('--install without systemctl writes the unit (0644) and says it enabled nothing; unstartup removes exactly that unit', async () => {
    const root = shop()
    const dir = tempDir()
    const unitPath = join(dir, 'bun-pm-shop.service')
    const env = { BUN_PM_UNIT_DIR: dir, PATH: NO_SYSTEMCTL, PM2_HOME: join(dir, 'pm2-home') }
    // The guard of this test: no systemctl can be reached, so nothing on this machine is enabled.
    expect(Bun.which('systemctl', { PATH: NO_SYSTEMCTL })).toBeNull()
    const printed = (await runCli(['startup'], { cwd: root, env })).stdout

    const install = await runCli(['startup', '--install'], { cwd: root, env })
    expect(install.stderr).toBe('')
    expect(install.code).toBe(0)
    expect(install.stdout).toBe(`wrote ${unitPath}; systemctl is not on PATH, so nothing was enabled: where systemd runs, \`systemctl daemon-reload && systemctl enable --now bun-pm-shop.service\`\n`)
    expect(readFileSync(unitPath, 'utf8')).toBe(printed)
    expect(statSync(unitPath).mode & 0o777).toBe(0o644)
    // Its own unit it rewrites.
    expect((await runCli(['startup', '--install', '--workers=db'], { cwd: root, env })).code).toBe(0)
    expect(readFileSync(unitPath, 'utf8')).toContain('start --attach --workers=db')
    // Another workspace of the same name neither takes it over nor removes it.
    const twin = shop()
    for (const args of [['startup', '--install'], ['unstartup']]) {
      const result = await runCli(args, { cwd: twin, env })
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(`error: ${unitPath}: is the unit \`bun-pm startup\` wrote for ${join(root, 'pm.config.ts')}, whose name gives the same unit name; give this workspace another \`name\` in ${join(twin, 'pm.config.ts')}, or run \`bun-pm unstartup\` in that one's folder first\n`)
    }
    expect(readFileSync(unitPath, 'utf8')).toContain('start --attach --workers=db')

    const removed = await runCli(['unstartup'], { cwd: root, env })
    expect(removed.code).toBe(0)
    expect(removed.stdout).toBe(`removed ${unitPath}; systemctl is not on PATH, so nothing was disabled\n`)
    expect(existsSync(unitPath)).toBe(false)
    const again = await runCli(['unstartup'], { cwd: root, env })
    expect(again.code).toBe(1)
    expect(again.stderr).toBe(`error: ${unitPath}: no unit there, so nothing to remove for workspace shop; a user unit? pass --user\n`)

    // --user goes to the same folder here (BUN_PM_UNIT_DIR), and is removed with --user.
    expect((await runCli(['startup', '--user', '--install'], { cwd: root, env })).code).toBe(0)
    expect(readFileSync(unitPath, 'utf8')).toContain('WantedBy=default.target')
    expect((await runCli(['unstartup', '--user'], { cwd: root, env })).code).toBe(0)
    expect(existsSync(unitPath)).toBe(false)
  }, 60_000)

  test('a unit startup did not write, or a link, is never overwritten nor removed', async () => {
    const root = shop()
    const dir = tempDir()
    const unitPath = join(dir, 'bun-pm-shop.service')
    const env = { BUN_PM_UNIT_DIR: dir, PATH: NO_SYSTEMCTL, PM2_HOME: join(dir, 'pm2-home') }
    const theirs = '[Service]\nExecStart=/bin/true\n'
    writeFileSync(unitPath, theirs)
    for (const args of [['startup', '--install'], ['unstartup']]) {
      const result = await runCli(args, { cwd: root, env })
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(`error: ${unitPath}: this unit was not written by \`bun-pm startup\`, and bun-pm does not overwrite or remove it; move it away first if the workspace should start this way\n`)
      expect(readFileSync(unitPath, 'utf8')).toBe(theirs)
    }
    rmSync(unitPath)
    const target = join(dir, 'elsewhere')
    writeFileSync(target, theirs)
    symlinkSync(target, unitPath)
    const linked = await runCli(['startup', '--install'], { cwd: root, env })
    expect(linked.code).toBe(1)
    expect(linked.stderr).toMatch(/: is a link, and bun-pm startup writes and removes only a unit file of its own/)
    expect(readFileSync(target, 'utf8')).toBe(theirs)
    expect(lstatSync(unitPath).isSymbolicLink()).toBe(true)

    // --out writes a file of its own elsewhere, by the same rules.
    const out = join(dir, 'copy.service')
    const written = await runCli(['startup', `--out=${out}`], { cwd: root, env })
    expect(written.code).toBe(0)
    expect(written.stdout).toContain(`sudo install -m 0644 ${out} ${unitPath}`)
    expect(readFileSync(out, 'utf8')).toStartWith('# Written by `bun-pm startup`')
    const both = await runCli(['startup', '--install', `--out=${out}`], { cwd: root, env })
    expect(both.code).toBe(1)
    expect(both.stderr).toContain('drop one of them')
  }, 60_000)
})
