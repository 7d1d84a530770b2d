// `startup`: the systemd unit that runs `start --attach` for a workspace at boot, and the commands
// that enable and remove it. Pure: the paths come from run-startup.ts.

import type { Selection } from '../types/config.ts'
import { dnsLabel } from './model.ts'
import { duration } from './shared.ts'
import { escapeExec, escapeSpecifiers, quote } from './systemd.ts'

/** A system unit (root's systemd, at boot) or a user unit (the user's systemd, at login or with lingering). */
export type UnitScope = 'system' | 'user'

export interface StartupUnitInput {
  scope: UnitScope
  /** The workspace's PM2 namespace. */
  namespace: string
  /** Absolute path of the workspace's config file, for the header. */
  configFile: string
  /** Absolute path of the workspace's folder: WorkingDirectory=. */
  root: string
  /** Absolute path of the bun that runs bun-pm. */
  bun: string
  /** Absolute path of bun-pm's CLI entry (dist/commands/exec-process.js when installed). */
  cli: string
  /** `start`'s own flags beyond --attach (the selection, --env), as the user gave them to `startup`. */
  startArgs: string[]
  /** The PM2 home `start` uses, so that `status`, `logs` and a deploy with `start` see the unit's workers. */
  pm2Home: string
  /** Folders for PATH: the interpreters' own first, then the system's. */
  path: string[]
  /** System units: whom the workspace runs as. */
  user?: string
  /** The longest an ordered stop of the selection can take (every worker's kill_timeout). */
  stopMs: number
}

/** The first line of every unit `startup` writes: what `unstartup` and `--install` recognise as theirs. */
export const STARTUP_MARKER = '# Written by `bun-pm startup`'

/** Folders systemd's own default PATH has, after the interpreters' folders. */
export const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

/** `bun-pm-<workspace>.service`: one unit per workspace, named after its namespace as systemd allows. */
export function startupUnitName(namespace: string): string {
  return `bun-pm-${dnsLabel(namespace)}.service`
}

/** True when `text` is a unit `startup` wrote (its first line says so). */
export function isStartupUnit(text: string): boolean {
  return text.startsWith(STARTUP_MARKER)
}

/** The config file a unit `startup` wrote is for, from its first line. Pure. */
export function startupUnitConfig(text: string): string | undefined {
  const first = text.slice(0, text.indexOf('\n') >>> 0)
  return first.startsWith(`${STARTUP_MARKER} for `) ? /^.* for (.+): it starts workspace /.exec(first)?.[1] : undefined
}

/**
 * The unit: `Type=simple` running `start --attach` in the workspace's folder; systemd stops it with
 * SIGTERM to that process alone (`KillMode=mixed`), which stops the workers in reverse `dependsOn`
 * order, then SIGKILLs whatever of the unit is left; it is restarted when it fails (a worker that
 * never became ready exits 1). Pure.
 */
export function renderStartupUnit(input: StartupUnitInput): string {
  const { scope } = input
  const exec = [input.bun, '--no-env-file', input.cli, 'start', '--attach', ...input.startArgs]
  // Starting waits for nothing in systemd (Type=simple); stopping waits for every worker's kill_timeout, and 30 s more.
  const stopMs = Math.max(90_000, input.stopMs + 30_000)
  return [
    `${STARTUP_MARKER} for ${input.configFile}: it starts workspace ${input.namespace} at ${scope === 'system' ? 'boot' : 'login (at boot with lingering)'}.`,
    `# \`bun-pm startup${scope === 'user' ? ' --user' : ''} --install\` rewrites it; \`bun-pm unstartup${scope === 'user' ? ' --user' : ''}\` disables and removes it.`,
    '[Unit]',
    `Description=bun-pm: workspace ${escapeSpecifiers(input.namespace)} (start --attach)`,
    // A user manager has no network-online.target to wait for.
    ...(scope === 'system' ? ['Wants=network-online.target', 'After=network-online.target'] : []),
    '',
    '[Service]',
    'Type=simple',
    ...(scope === 'system' && input.user ? [`User=${input.user}`] : []),
    `WorkingDirectory=${escapeSpecifiers(input.root)}`,
    `Environment=${quote(`PM2_HOME=${escapeSpecifiers(input.pm2Home)}`)}`,
    `Environment=${quote(`PATH=${escapeSpecifiers(input.path.join(':'))}`)}`,
    `ExecStart=${exec.map(word => quote(escapeExec(word))).join(' ')}`,
    'KillSignal=SIGTERM',
    // SIGTERM to `start --attach` alone: it stops the workers in order; SIGKILL for what is left after it.
    'KillMode=mixed',
    `TimeoutStopSec=${duration(stopMs)}`,
    'Restart=on-failure',
    'RestartSec=10s',
    `SyslogIdentifier=${startupUnitName(input.namespace).replace(/\.service$/, '')}`,
    '',
    '[Install]',
    `WantedBy=${scope === 'system' ? 'multi-user.target' : 'default.target'}`,
    '',
  ].join('\n')
}

/** The systemctl words, with `--user` for a user unit. */
export function systemctl(scope: UnitScope, ...words: string[]): string[] {
  return ['systemctl', ...(scope === 'user' ? ['--user'] : []), ...words]
}

/**
 * What a user runs to put the unit in place: `startup` again (its flags, `again`) with --install,
 * or by hand (the printed unit, or the file `written` by --out): copy it, reload systemd, enable
 * and start it; a user unit also lingers so that it starts at boot without a login. `command`
 * names a bun-pm command as the user runs it. Pure.
 */
export function enableSteps(scope: UnitScope, unitPath: string, { user, again, written, command = line => `bun-pm ${line}` }: { user?: string, again: string[], written?: string, command?: (line: string) => string }): string[] {
  const sudo = scope === 'system' ? 'sudo ' : ''
  const flags = again.map(word => /^[\w./,=:@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`).join(' ')
  const name = unitPath.split('/').pop()!
  const byHand = `${sudo}install -m 0644 ${written ?? name} ${unitPath} && ${sudo}${systemctl(scope, 'daemon-reload').join(' ')} && ${sudo}${systemctl(scope, 'enable', '--now', name).join(' ')}`
  return [
    ...(written ? [byHand] : [`${sudo}${command(`startup ${flags}${flags ? ' ' : ''}--install`)}`, `or by hand: ${command(`startup ${flags}${flags ? ' ' : ''}`).trimEnd()} > ${name} && ${byHand}`]),
    ...(scope === 'user' ? [`at boot without a login: sudo loginctl enable-linger ${user ?? '$USER'}`] : []),
  ]
}

/** `start`'s flags for the selection and environment `startup` was given, to pass on. Pure. */
export function startArgsOf(selection: Selection, env: string | undefined): string[] {
  return [
    ...(selection.workers ? [`--workers=${selection.workers.join(',')}`] : []),
    ...(selection.groups ? [`--group=${selection.groups.join(',')}`] : []),
    ...(selection.noDeps ? ['--no-deps'] : []),
    ...(env !== undefined ? [`--env=${env}`] : []),
  ]
}
