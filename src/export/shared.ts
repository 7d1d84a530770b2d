// What the export renderers share: file results, quoting, the generated-file header, durations.

import { Scalar } from 'yaml'
import type { ExportModel, ExportWorker } from './model.ts'
import type { Heartbeat } from '../types/health.ts'
import { isProgramPath, SHELL } from '../model/command.ts'

/** One file an export writes: its path relative to `--out`, and 0600 when it holds secrets. */
export interface ExportFile {
  path: string
  content: string
  secret?: boolean
}

/** What a target made: its files, and what did not carry over (said on stderr, and in the README's table). */
export interface ExportResult {
  files: ExportFile[]
  notes: string[]
}

/** Where the workspace lives in the generated image. */
export const APP_DIR = '/app'

/** A string YAML readers never take for a number, a boolean or null (`0o17`, `yes`, `1e3`). */
export function quoted(value: string): Scalar {
  const scalar = new Scalar(value)
  scalar.type = Scalar.QUOTE_DOUBLE
  return scalar
}

/** The first lines of every generated file: where it came from, and that it is regenerated. */
export function header(model: ExportModel, target: string, comment = '#'): string {
  return [
    `${comment} Written by \`bun-pm export --to=${target}\` from ${model.configLabel} (environment: ${model.envName}).`,
    `${comment} Edit ${model.configLabel} and export again rather than editing this file.`,
  ].join('\n')
}

/** A path of the workspace as the container sees it (the workspace is at APP_DIR). */
export function inImage(path: string): string {
  return path.startsWith('/') ? path : path === '.' ? APP_DIR : `${APP_DIR}/${path}`
}

/**
 * The command a container runs for a worker: its interpreter and script as `bun file.ts` / `node
 * file.js` run them, or a cmd worker's command (exec form; a command line under `/bin/sh -c`);
 * paths absolute (it may run in its `cwd`).
 */
export function containerCommand(worker: ExportWorker): string[] {
  if (worker.command) {
    const [program = '', ...args] = worker.command
    return [isProgramPath(program) ? inImage(program) : program, ...args]
  }
  if (worker.interpreter === 'cmd')
    throw new Error(`cmd worker ${worker.name} without a command`)
  const run = { bun: ['bun', '--no-env-file'], node: ['node'], tsx: [`${APP_DIR}/node_modules/.bin/tsx`] }[worker.interpreter]
  return [...run, ...worker.interpreterArgs, inImage(worker.script), ...worker.args]
}

/** 5000 -> '5s', 90000 -> '1m30s', 1600 -> '1600ms': a duration Compose and systemd both read. */
export function duration(ms: number): string {
  if (ms % 1000 !== 0)
    return `${Math.round(ms)}ms`
  const total = ms / 1000
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60]
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`
}

/**
 * A one-line bun program that checks a heartbeat once and exits 0 when it passed: a container's
 * healthcheck, systemd's check. `host` replaces the heartbeat's own (a dependency is reached by
 * its service name).
 */
export function checkProgram(heartbeat: ProbeHeartbeat, timeoutMs: number, host?: string): string {
  return `process.exit(await ${checkExpression(heartbeat, timeoutMs, { host })} ? 0 : 1)`
}

/**
 * A one-line bun program that waits, checking every second, until a heartbeat passes. `portFrom`
 * names a variable to take the port from when it runs (a replica's own port).
 */
export function waitProgram(heartbeat: ProbeHeartbeat, timeoutMs: number, where: { host?: string, portFrom?: string } = {}): string {
  return `while (!(await ${checkExpression(heartbeat, timeoutMs, where)})) await Bun.sleep(1000)`
}

type ProbeHeartbeat = Exclude<Heartbeat, { kind: 'none' | 'push' }>

/** A bun expression: a promise of true once the check passed, false otherwise (never a rejection). */
function checkExpression(heartbeat: ProbeHeartbeat, timeoutMs: number, { host, portFrom }: { host?: string, portFrom?: string }): string {
  const port = portFrom ? `Number(process.env[${JSON.stringify(portFrom)}])` : undefined
  if (heartbeat.kind === 'http') {
    const url = new URL(heartbeat.url)
    if (host)
      url.hostname = host
    const href = port ? `Object.assign(new URL(${JSON.stringify(url.href)}), { port: ${port} }).href` : JSON.stringify(url.href)
    return `fetch(${href}, { signal: AbortSignal.timeout(${timeoutMs}) }).then(r => r.ok, () => false)`
  }
  return `Bun.connect({ hostname: ${JSON.stringify(host ?? heartbeat.host)}, port: ${port ?? heartbeat.port}, socket: { data() {} } }).then(s => (s.end(), true), () => false)`
}

/** True for heartbeats another engine can check from outside the process (http, tcp). */
export function isProbe(heartbeat: Heartbeat): heartbeat is ProbeHeartbeat {
  return heartbeat.kind === 'http' || heartbeat.kind === 'tcp'
}

/**
 * The secrets every worker that has any shares (those of the .env files, usually all of them), and
 * what one worker has of its own (a config value copied from .env): one file or Secret for the
 * first, one per worker for the rest.
 */
export function splitSecrets(workers: ExportWorker[]): { shared: Record<string, string>, own: (worker: ExportWorker) => Record<string, string> } {
  const holders = workers.filter(w => Object.keys(w.secrets).length > 0)
  const shared = Object.fromEntries(Object.entries(holders[0]?.secrets ?? {}).filter(([key, value]) => holders.every(w => w.secrets[key] === value)))
  return { shared, own: w => Object.fromEntries(Object.entries(w.secrets).filter(([key]) => !(key in shared))) }
}

/** What a container needs to run a cmd worker: its program, which the workspace may not bring. */
function programNotes(w: ExportWorker): string[] {
  const [program = ''] = w.command ?? []
  const image = 'add its package to the Dockerfile (the generated image is Debian\'s node slim image with bun), or pass --image'
  if (program === SHELL)
    return [`${w.name}: runs \`${w.command![2] ?? ''}\` under /bin/sh -c: every program it names must be in the image; ${image}`]
  if (program.startsWith('/'))
    return [`${w.name}: runs ${program}, a path outside the workspace: the image must have it there; ${image}`]
  if (!isProgramPath(program))
    return [`${w.name}: runs ${program}${w.programPath ? ` (${w.programPath} here)` : ''}, which is not in the workspace: the image must have it on its PATH; ${image}`]
  return []
}

/** What every target says of the workers it cannot carry fully. */
export function commonNotes(model: ExportModel, target: string): string[] {
  const notes: string[] = []
  const names = new Set(model.workers.map(w => w.name))
  const container = target === 'Compose' || target === 'Kubernetes'
  for (const w of model.workers) {
    if (w.heartbeat.kind === 'push')
      notes.push(`${w.name}: its push heartbeat (heartbeat() every ${w.heartbeat.everyMs} ms) reaches bun-pm through PM2 only; ${target} has no check for it (heartbeat() does nothing there)`)
    if (w.cronRestart && container)
      notes.push(`${w.name}: cron_restart '${w.cronRestart}' does not carry to ${target}; restart it from a scheduler of yours`)
    for (const dep of w.dependsOn.filter(dep => !names.has(dep)))
      notes.push(`${w.name}: depends on ${dep}, which is not exported (not selected, or --no-deps); ${target} starts ${w.name} without waiting for it`)
    if (w.replicasFrom)
      notes.push(`${w.name}: instances ${w.replicasFrom} became ${w.replicas} here (this machine's cores); edit the count for the machines it will run on`)
    if (container && (w.restartDelaySet || w.health.stopExitCodes.length > 0))
      notes.push(`${w.name}: ${[w.restartDelaySet && 'restart_delay / exp_backoff_restart_delay', w.health.stopExitCodes.length > 0 && 'stop_exit_codes'].filter(Boolean).join(' and ')} do not carry to ${target}, which restarts with its own back-off`)
    if (w.script.startsWith('/') && container)
      notes.push(`${w.name}: its script ${w.script} is outside the workspace, so not in the image`)
    if (w.command && container)
      notes.push(...programNotes(w))
  }
  if (container)
    notes.push(`bun-pm's crash-loop rule (max_restarts crashes, each sooner than min_uptime) does not carry to ${target}: it restarts crashing containers with its own growing delay`)
  return notes
}
