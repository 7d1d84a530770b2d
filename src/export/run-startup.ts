// `startup` and `unstartup`: the unit rendered from this machine's paths, written without following
// a link, and enabled or removed through systemctl when systemd runs here.

import { spawnSync } from 'node:child_process'
import { closeSync, constants, existsSync, fchmodSync, lstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { WorkspaceError } from '../errors.ts'
import { ownFile } from '../bun-pm-files.ts'
import { bunPm } from '../invocation.ts'
import type { Interpreter, Selection } from '../types/config.ts'
import { loadWorkspace } from '../config/load.ts'
import { resolveInterpreter, resolveProgram } from '../plan/interpreter.ts'
import { commandWords } from '../model/command.ts'
import { selectWorkers } from '../plan/select.ts'
import { pm2Rules } from '../pm2/schema.ts'
import { enableSteps, isStartupUnit, renderStartupUnit, startArgsOf, startupUnitConfig, startupUnitName, SYSTEM_PATH, systemctl, type UnitScope } from './startup-unit.ts'

/** PM2's own default kill_timeout, for a worker that sets none. */
const PM2_KILL_TIMEOUT_MS = 1600

export interface StartupOptions {
  cwd?: string
  scope: UnitScope
  /** Write the unit where systemd reads it, then enable and start it. */
  install: boolean
  /** Write the unit to this file instead of printing it. */
  out?: string
  selection: Selection
  env?: string
}

/**
 * `startup`: the workspace's unit. Printed with where it goes and how to enable it; with `--out`
 * written there; with `--install` written to systemd's folder and enabled and started when systemd
 * runs here (otherwise said in one line, the file left in place).
 */
export async function runStartup({ cwd, scope, install, out, selection, env }: StartupOptions): Promise<number> {
  requireLinux('startup')
  if (install && out !== undefined)
    throw new WorkspaceError('--install writes the unit where systemd reads it and --out writes it elsewhere; drop one of them')
  const workspace = await loadWorkspace({ cwd, mode: 'start', env, rules: pm2Rules() })
  const { workers } = selectWorkers(workspace, selection, 'start')
  const name = startupUnitName(workspace.namespace)
  const unitPath = join(unitDir(scope), name)
  const account = runAs(scope)
  // The unit's PATH: where this machine has the workers' interpreters and cmd programs, then the system's.
  const programs = [...new Set(workers.map(w => w.interpreter === 'cmd' ? resolveProgram(commandWords(w.cmd!)[0]!, workspace.root) : resolveInterpreter(w.interpreter as Interpreter, workspace.root)))]
  const bun = process.execPath
  const path = [...new Set([dirname(bun), ...programs.filter(p => p !== undefined).map(p => dirname(p)), ...SYSTEM_PATH])]
  const unit = renderStartupUnit({
    scope,
    namespace: workspace.namespace,
    configFile: workspace.configFile,
    root: workspace.root,
    bun,
    cli: ownFile('commands/exec-process'),
    startArgs: startArgsOf(selection, env),
    pm2Home: account.pm2Home,
    path,
    user: account.user,
    stopMs: workers.reduce((sum, w) => sum + Number(w.options.kill_timeout ?? PM2_KILL_TIMEOUT_MS), 0),
  })

  const again = [...(scope === 'user' ? ['--user'] : []), ...startArgsOf(selection, env), ...(cwd === undefined ? [] : [`--cwd=${workspace.root}`])]
  if (!install && out === undefined) {
    process.stdout.write(unit)
    console.error(`# ${unitPath} is where it goes; to put it there, enable and start it:`)
    for (const step of enableSteps(scope, unitPath, { user: account.user, again, command: bunPm }))
      console.error(`#   ${step}`)
    return 0
  }
  const target = install ? unitPath : resolve(out!)
  const before = writeUnit(target, unit, scope, workspace.configFile)
  if (!install) {
    console.log(`wrote ${target}; to use it:`)
    for (const step of enableSteps(scope, unitPath, { user: account.user, again, written: target, command: bunPm }))
      console.log(`  ${step}`)
    return 0
  }
  const systemd = systemdHere(scope)
  if (!systemd.runs) {
    console.log(`wrote ${unitPath}; ${systemd.why}, so nothing was enabled: where systemd runs, \`${systemctl(scope, 'daemon-reload').join(' ')} && ${systemctl(scope, 'enable', '--now', name).join(' ')}\``)
    return 0
  }
  runSystemctl(scope, ['daemon-reload'], unitPath)
  runSystemctl(scope, ['enable', '--now', name], unitPath)
  console.log(`wrote ${unitPath}; enabled and started: \`${systemctl(scope, 'status', name).join(' ')}\`, \`journalctl ${scope === 'user' ? '--user-unit' : '-u'} ${name}\`; \`${bunPm(`unstartup${scope === 'user' ? ' --user' : ''}`)}\` removes it`)
  if (before !== undefined && before !== unit)
    console.log(`the unit changed: \`${systemctl(scope, 'restart', name).join(' ')}\` applies it (it stops and starts the workers)`)
  if (scope === 'user')
    console.log(`a user unit starts when you log in; at boot without a login: \`sudo loginctl enable-linger ${account.user}\``)
  return 0
}

/** `unstartup`: the unit `startup` wrote for this workspace, disabled, stopped and removed; nothing else. */
export async function runUnstartup({ cwd, scope }: { cwd?: string, scope: UnitScope }): Promise<number> {
  requireLinux('unstartup')
  const workspace = await loadWorkspace({ cwd, mode: 'start', rules: pm2Rules() })
  const name = startupUnitName(workspace.namespace)
  const unitPath = join(unitDir(scope), name)
  if (readOwnUnit(unitPath, workspace.configFile) === undefined)
    throw new WorkspaceError(`${unitPath}: no unit there, so nothing to remove for workspace ${workspace.namespace}; ${scope === 'system' ? 'a user unit? pass --user' : 'a system unit? drop --user'}`)
  const systemd = systemdHere(scope)
  if (systemd.runs)
    runSystemctl(scope, ['disable', '--now', name], unitPath)
  try {
    unlinkSync(unitPath)
  }
  catch (error) {
    throw new WorkspaceError(`${unitPath}: cannot be removed (${(error as NodeJS.ErrnoException).code === 'EACCES' ? `permission denied; ${scope === 'system' ? 'run it as root (sudo)' : 'check the folder\'s owner'}` : (error as Error).message})`)
  }
  if (systemd.runs) {
    runSystemctl(scope, ['daemon-reload'], unitPath)
    console.log(`stopped, disabled and removed ${unitPath}`)
  }
  else {
    console.log(`removed ${unitPath}; ${systemd.why}, so nothing was disabled`)
  }
  return 0
}

function requireLinux(command: string): void {
  if (process.platform !== 'linux')
    throw new WorkspaceError(`\`${command}\` writes a systemd unit, which is Linux's; this is ${process.platform}: run \`${bunPm('start --attach')}\` from your own service manager (launchd on macOS)`)
}

/**
 * Where systemd reads units: /etc/systemd/system, or ~/.config/systemd/user. BUN_PM_UNIT_DIR
 * replaces both, for the tests alone (systemd reads neither there).
 */
function unitDir(scope: UnitScope): string {
  if (process.env.BUN_PM_UNIT_DIR)
    return resolve(process.env.BUN_PM_UNIT_DIR)
  return scope === 'system' ? '/etc/systemd/system' : join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'systemd', 'user')
}

/**
 * Whom the unit runs as, and the PM2 home `start` uses for them: the user who runs `startup`, or,
 * under sudo, the one who ran sudo (a system unit otherwise ran the workspace as root).
 */
function runAs(scope: UnitScope): { user: string, pm2Home: string } {
  const me = userInfo()
  const sudoUser = process.env.SUDO_USER
  const sudoer = scope === 'system' && me.uid === 0 && sudoUser && sudoUser !== 'root' ? account(sudoUser) : undefined
  if (sudoer)
    return { user: sudoer.name, pm2Home: process.env.PM2_HOME || join(sudoer.home, '.pm2') }
  // By uid: bun's userInfo() can say "unknown" where getpwuid works; systemd takes a number as well.
  const mine = account(String(me.uid))
  return { user: mine?.name ?? String(me.uid), pm2Home: process.env.PM2_HOME || join(mine?.home ?? me.homedir, '.pm2') }
}

/** A user's name and home folder, from the system's user database (by name or uid). */
function account(user: string): { name: string, home: string } | undefined {
  const fields = spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout?.trim().split(':') ?? []
  return fields[0] && fields[5] ? { name: fields[0], home: fields[5] } : undefined
}

/**
 * The unit at `path` if it is one `startup` wrote for `configFile`, undefined if there is none; a
 * link, a file someone else wrote, or the unit of another workspace of the same name is an error
 * (bun-pm never writes through one, nor removes or overwrites it).
 */
function readOwnUnit(path: string, configFile: string): string | undefined {
  let stat
  try {
    stat = lstatSync(path)
  }
  catch {
    return undefined
  }
  if (stat.isSymbolicLink() || !stat.isFile())
    throw new WorkspaceError(`${path}: is ${stat.isSymbolicLink() ? 'a link' : 'not a file'}, and bun-pm startup writes and removes only a unit file of its own; remove it yourself, or choose another place`)
  const text = readFileSync(path, 'utf8')
  if (!isStartupUnit(text))
    throw new WorkspaceError(`${path}: this unit was not written by \`bun-pm startup\`, and bun-pm does not overwrite or remove it; move it away first if the workspace should start this way`)
  const other = startupUnitConfig(text)
  if (other !== configFile)
    throw new WorkspaceError(`${path}: is the unit \`bun-pm startup\` wrote for ${other ?? 'another workspace'}, whose name gives the same unit name; give this workspace another \`name\` in ${configFile}, or run \`${bunPm('unstartup')}\` in that one's folder first`)
  return text
}

/** Writes the unit (0644, never through a link, never over another's unit nor another workspace's); what was there before, if it was ours. */
function writeUnit(path: string, unit: string, scope: UnitScope, configFile: string): string | undefined {
  const before = readOwnUnit(path, configFile)
  let fd: number
  try {
    mkdirSync(dirname(path), { recursive: true })
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644)
  }
  catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const fix = code === 'EACCES' || code === 'EPERM'
      ? `permission denied; ${scope === 'system' ? `a system unit needs root: \`sudo ${bunPm('startup --install')}\`, or \`${bunPm('startup --user --install')}\` for a user unit` : 'check the folder\'s owner'}`
      : code === 'ELOOP' ? 'it became a link' : (error as Error).message
    throw new WorkspaceError(`${path}: cannot be written (${fix})`)
  }
  try {
    fchmodSync(fd, 0o644)
    writeSync(fd, unit)
  }
  finally {
    closeSync(fd)
  }
  return before
}

/** Whether systemctl can act here: on PATH, and systemd running (/run/systemd/system, as sd_booted checks). */
function systemdHere(scope: UnitScope): { runs: true } | { runs: false, why: string } {
  if (!Bun.which('systemctl'))
    return { runs: false, why: 'systemctl is not on PATH' }
  if (!existsSync('/run/systemd/system'))
    return { runs: false, why: 'systemd is not running here (it is not PID 1)' }
  if (scope === 'user' && !(process.env.XDG_RUNTIME_DIR && existsSync(join(process.env.XDG_RUNTIME_DIR, 'systemd'))))
    return { runs: false, why: 'no systemd user manager runs for this session (no $XDG_RUNTIME_DIR/systemd)' }
  return { runs: true }
}

/** Runs systemctl; a failure is one line with what it said, the unit left where it is. */
function runSystemctl(scope: UnitScope, words: string[], unitPath: string): void {
  const [command, ...args] = systemctl(scope, ...words)
  const result = spawnSync(command!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (result.status !== 0) {
    const said = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n')[0] || result.error?.message || `exit ${result.status}`
    throw new WorkspaceError(`\`${[command, ...args].join(' ')}\` failed: ${said}; the unit is at ${unitPath}`)
  }
}
