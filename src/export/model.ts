// What every export is made from: each worker as a command, an environment, a heartbeat, limits. Pure.

import { isAbsolute, posix, relative, resolve } from 'node:path'
import { WorkspaceError } from '../errors.ts'
import { heartbeatPort } from '../model/heartbeat.ts'
import type { RunsUnder } from '../types/config.ts'
import { commandWords, isProgramPath } from '../model/command.ts'
import type { LoadedWorker, LoadedWorkspace } from '../config/load.ts'
import type { HealthPolicy, Heartbeat } from '../types/health.ts'
import { toList } from '../model/args.ts'
import { parsePublish, type Published } from '../model/publish.ts'

/**
 * A workspace as every export target sees it: what each worker runs, with which variables (plain
 * ones apart from the values that came from `.env` files), how it is checked, what it waits for and
 * what limits it. Renderers turn this into files; nothing here reads or writes anything.
 */
export interface ExportModel {
  /** The workspace's name (its PM2 namespace), DNS-safe: compose project, Kubernetes label, systemd target. */
  name: string
  namespace: string
  root: string
  configLabel: string
  envName: string
  workers: ExportWorker[]
  /** Versions the generated image pins. */
  bunVersion: string
  nodeMajor: number
}

export interface ExportWorker {
  name: string
  /** The worker's name as a DNS label (lowercase, `-`): a service, Deployment or unit name. */
  service: string
  interpreter: RunsUnder
  /** The script, relative to the workspace root, `/`-separated (absolute when outside it); `''` for a cmd worker. */
  script: string
  /**
   * A cmd worker's command (`/bin/sh -c '<line>'` for a command line). Its program is relative to
   * the workspace root when it lies in it (a path, or a name found in its `node_modules/.bin`),
   * else as written: a name the engine looks up on its PATH, or an absolute path.
   */
  command?: string[]
  /** A cmd worker's program as an absolute path on this machine, where it was found (systemd's ExecStart=). */
  programPath?: string
  /** `options.args`, then `interpreter_args` before the script. */
  args: string[]
  interpreterArgs: string[]
  /** The working folder relative to the root (`.` for the root; absolute when outside it). */
  cwd: string
  /** Variables from the config (`env`, `defaults.env`) and NODE_ENV: fine to write into a manifest. */
  env: Record<string, string>
  /** Variables whose values came from `.env` / `.env.local` (or equal one of those): never inline. */
  secrets: Record<string, string>
  heartbeat: Heartbeat
  health: HealthPolicy
  /** The port it serves on: its heartbeat's, else its PORT variable. */
  port?: number
  /** `options.publish` parsed: where Compose publishes the port on the host (absent: the default, false: nowhere). */
  publish?: Published[] | false
  dependsOn: string[]
  replicas: number
  /** `instances` as written when it was not a count ('max', 0, -1): resolved on this machine. */
  replicasFrom?: string
  incrementVar?: string
  /** The variable that holds the replica's index (PM2's `instance_var`). */
  instanceVar: string
  /** `max_memory_restart` in bytes. */
  memoryBytes?: number
  /** How long a stop waits after SIGTERM before SIGKILL (PM2's `kill_timeout`, 1600 ms by default). */
  killTimeoutMs: number
  autorestart: boolean
  /** Delay before a restart (`restart_delay`, else the first step of the back-off). */
  restartDelayMs: number
  /** The config set a delay or back-off itself. */
  restartDelaySet?: boolean
  /** PM2's `uid` / `gid`: whom it runs as. */
  user?: string
  group?: string
  cronRestart?: string
}

/** PM2's own default `kill_timeout`. */
const PM2_KILL_TIMEOUT_MS = 1600
const SIZE = /^(\d+)([KMG])?$/
const SIZE_UNITS = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as const

/** `max_memory_restart` as PM2 reads it ('100M' = 100 MiB), in bytes. */
export function memoryBytes(value: string | number | undefined): number | undefined {
  if (value === undefined)
    return undefined
  const match = SIZE.exec(String(value))
  return match ? Number(match[1]) * (match[2] ? SIZE_UNITS[match[2] as keyof typeof SIZE_UNITS] : 1) : undefined
}

/** A worker name as a DNS-1123 label: what Compose, Kubernetes and systemd all accept. */
export function dnsLabel(name: string): string {
  const label = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'worker'
  // A Kubernetes Service name must start with a letter (DNS-1035).
  return (/^[a-z]/.test(label) ? label : `w-${label}`).slice(0, 63).replace(/-+$/, '')
}

export interface ExportFacts {
  bunVersion: string
  nodeMajor: number
  /** The variables of the workspace's `.env` files (`.env.local` over `.env`): their values are secrets. */
  fileEnv: Record<string, string>
  /** Where a cmd worker's program is on this machine (as `start` finds it), if it is. */
  findProgram?: (program: string) => string | undefined
}

/**
 * The model of `workers` of a loaded workspace. What the exporting shell alone set (PATH, HOME, …)
 * is not the workers' and is left out; a value from the `.env` files is a secret wherever it shows
 * up. Two workers whose names map to one DNS label are an error. Pure.
 */
export function toExportModel(workspace: LoadedWorkspace, workers: LoadedWorker[], { fileEnv, findProgram = () => undefined, ...versions }: ExportFacts): ExportModel {
  const services = new Map<string, string>()
  for (const worker of workers) {
    const service = dnsLabel(worker.name)
    const other = services.get(service)
    if (other !== undefined)
      throw new WorkspaceError(`${workspace.configLabel}: workers "${other}" and "${worker.name}" would both be named "${service}" in an export (lowercase letters, digits and -); rename one`)
    services.set(service, worker.name)
  }
  return {
    name: dnsLabel(workspace.namespace),
    namespace: workspace.namespace,
    root: workspace.root,
    configLabel: workspace.configLabel,
    envName: workspace.envName,
    workers: workers.map(worker => toExportWorker(workspace, worker, fileEnv, findProgram)),
    ...versions,
  }
}

function toExportWorker(workspace: LoadedWorkspace, worker: LoadedWorker, fileEnv: Record<string, string>, findProgram: (program: string) => string | undefined): ExportWorker {
  const { options } = worker
  const at = `${workspace.configLabel}: worker "${worker.name}"`
  const env: Record<string, string> = {}
  const secrets: Record<string, string> = {}
  const fileValues = Object.values(fileEnv).filter(Boolean)
  // A value from .env, whole or inside another (`postgres://app:${process.env.DB_PASSWORD}@db`).
  const holdsSecret = (value: string) => fileValues.some(secret => value === secret || (secret.length >= 6 && value.includes(secret)))
  for (const [key, { value, source }] of Object.entries(worker.env)) {
    const inFiles = key in fileEnv
    // What every program needs, from the exporting shell (PATH, HOME, …): the engine's own, not the workspace's.
    if (source === 'bun-pm' || source === 'runtime')
      continue
    // A shell value that `passEnv` let through may be a credential: kept out of plain files.
    const passed = source === 'shell' && !inFiles && key !== 'NODE_ENV'
    const secret = passed || (inFiles && (source === 'shell' || source === '.env' || source === '.env.local' || fileEnv[key] === value))
    ;(secret || holdsSecret(value) ? secrets : env)[key] = value
  }
  const args = toList(options.args)
  const interpreterArgs = toList(options.interpreter_args ?? options.node_args)
  const heartbeatUrl = worker.health.heartbeat.kind === 'http' ? worker.health.heartbeat.url : ''
  const words = worker.cmd === undefined ? [] : commandWords(worker.cmd)
  for (const [what, values] of [['args', args], ['interpreter_args', interpreterArgs], ['cmd', words], ['heartbeat', [heartbeatUrl]]] as const) {
    const key = Object.keys(fileEnv).find(k => fileEnv[k] && values.some(v => holdsSecret(v) && v.includes(fileEnv[k]!)))
    if (key)
      throw new WorkspaceError(`${at}: its ${what} hold${what === 'args' ? '' : 's'} the value of ${key} from .env, which export would write in plain text into the files; pass it to the worker in \`env\` instead (export keeps env values from .env secret)`)
  }
  const inRoot = (path: string) => {
    const full = resolve(workspace.root, path)
    const rel = relative(workspace.root, full)
    return rel.startsWith('..') || isAbsolute(rel) ? toPosix(full) : toPosix(rel) || '.'
  }
  const [program, ...programArgs] = words
  const programPath = program === undefined ? undefined : findProgram(program)
  // A program of the workspace (a path, a package's bin) is in the image with it; others are looked up there.
  const inWorkspace = (path: string) => !inRoot(path).startsWith('/')
  const runs = program === undefined
    ? {}
    : { command: [isProgramPath(program) || (programPath && inWorkspace(programPath)) ? inRoot(programPath ?? program) : program, ...programArgs], ...(programPath && { programPath }) }
  const envPort = Number(env.PORT ?? secrets.PORT)
  const port = heartbeatPort(worker.health.heartbeat) ?? (Number.isInteger(envPort) && envPort > 0 ? envPort : undefined)
  // PM2's schema knows `cron_restart` (its types only the alias `cron`).
  const cron = (options as { cron_restart?: unknown }).cron_restart ?? options.cron
  const delay = Number(options.restart_delay ?? options.exp_backoff_restart_delay ?? 100)
  // Keys PM2's schema knows that its StartOptions type does not.
  const { instances, uid, gid } = options as { instances?: unknown, uid?: unknown, gid?: unknown }
  return {
    name: worker.name,
    service: dnsLabel(worker.name),
    interpreter: worker.interpreter,
    script: worker.interpreter === 'cmd' ? '' : inRoot(worker.scripts[worker.interpreter] ?? ''),
    ...runs,
    args,
    interpreterArgs,
    cwd: options.cwd ? inRoot(options.cwd) : '.',
    env,
    secrets,
    heartbeat: worker.health.heartbeat,
    health: worker.health,
    ...(port === undefined ? {} : { port }),
    ...publishOf(worker),
    dependsOn: worker.dependsOn,
    replicas: worker.replicas,
    ...(typeof instances === 'string' || (typeof instances === 'number' && instances <= 0) ? { replicasFrom: String(instances) } : {}),
    ...(options.increment_var ? { incrementVar: options.increment_var } : {}),
    instanceVar: options.instance_var ?? 'NODE_APP_INSTANCE',
    ...(memoryBytes(options.max_memory_restart) === undefined ? {} : { memoryBytes: memoryBytes(options.max_memory_restart) }),
    killTimeoutMs: Number(options.kill_timeout ?? PM2_KILL_TIMEOUT_MS),
    autorestart: options.autorestart !== false,
    restartDelayMs: Number.isFinite(delay) ? delay : 100,
    ...(options.restart_delay !== undefined || options.exp_backoff_restart_delay !== undefined ? { restartDelaySet: true } : {}),
    ...(cron ? { cronRestart: String(cron) } : {}),
    ...(uid !== undefined ? { user: String(uid) } : {}),
    ...(gid !== undefined ? { group: String(gid) } : {}),
  }
}

/** `options.publish` as the model keeps it (validated when the config loaded). */
function publishOf(worker: LoadedWorker): { publish?: Published[] | false } {
  const publish = worker.publish === undefined ? undefined : parsePublish(worker.publish)
  return publish === undefined || (publish && 'error' in publish) ? {} : { publish }
}

function toPosix(path: string): string {
  return path.split('\\').join(posix.sep)
}
