import { posix, relative } from 'node:path'
import { WorkspaceError } from '../errors.ts'
import type { Heartbeat } from '../health/heartbeat.ts'
import type { HealthPolicy } from '../health/policy.ts'
import type { Interpreter } from '../types.ts'
import type { LoadedWorker, LoadedWorkspace } from '../workspace/load-workspace.ts'

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
  interpreter: Interpreter
  /** The script, relative to the workspace root, `/`-separated. */
  script: string
  /** `options.args`, then `interpreter_args` before the script. */
  args: string[]
  interpreterArgs: string[]
  /** The working folder relative to the root (`.` for the root). */
  cwd: string
  /** Variables from the config (`env`, `defaults.env`) and NODE_ENV: fine to write into a manifest. */
  env: Record<string, string>
  /** Variables whose values came from `.env` / `.env.local` (or equal one of those): never inline. */
  secrets: Record<string, string>
  heartbeat: Heartbeat
  health: HealthPolicy
  /** The port it serves on: its heartbeat's, else its PORT variable. */
  port?: number
  dependsOn: string[]
  replicas: number
  incrementVar?: string
  /** `max_memory_restart` in bytes. */
  memoryBytes?: number
  /** How long a stop waits after SIGTERM before SIGKILL (PM2's `kill_timeout`, 1600 ms by default). */
  killTimeoutMs: number
  autorestart: boolean
  /** Delay before a restart (`restart_delay`, else the first step of the back-off). */
  restartDelayMs: number
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
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'worker'
}

export interface ExportFacts {
  bunVersion: string
  nodeMajor: number
  /** The variables of the workspace's `.env` files (`.env.local` over `.env`): their values are secrets. */
  fileEnv: Record<string, string>
}

/**
 * The model of `workers` of a loaded workspace. What the exporting shell alone set (PATH, HOME, …)
 * is not the workers' and is left out; a value from the `.env` files is a secret wherever it shows
 * up. Two workers whose names map to one DNS label are an error. Pure.
 */
export function toExportModel(workspace: LoadedWorkspace, workers: LoadedWorker[], { fileEnv, ...versions }: ExportFacts): ExportModel {
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
    workers: workers.map(worker => toExportWorker(workspace, worker, fileEnv)),
    ...versions,
  }
}

function toExportWorker(workspace: LoadedWorkspace, worker: LoadedWorker, fileEnv: Record<string, string>): ExportWorker {
  const { options } = worker
  const env: Record<string, string> = {}
  const secrets: Record<string, string> = {}
  const fileValues = new Set(Object.values(fileEnv).filter(value => value.length >= 8))
  for (const [key, { value, source }] of Object.entries(worker.env)) {
    const inFiles = key in fileEnv
    // Inherited from the exporting shell, and not the workspace's: not the workers' business.
    if (source === 'bun-pm' || (source === 'shell' && !inFiles))
      continue
    // A config that copies a .env value (`DB_URL: process.env.DB_URL`) holds a secret all the same.
    const secret = (inFiles && (source === 'shell' || source === '.env' || source === '.env.local' || fileEnv[key] === value)) || fileValues.has(value)
    ;(secret ? secrets : env)[key] = value
  }
  const script = toPosix(relative(workspace.root, `${workspace.root}/${worker.scripts[worker.interpreter] ?? ''}`))
  const heartbeatPort = worker.health.heartbeat.kind === 'http'
    ? Number(new URL(worker.health.heartbeat.url).port || 80)
    : worker.health.heartbeat.kind === 'tcp' ? worker.health.heartbeat.port : undefined
  const envPort = Number(env.PORT ?? secrets.PORT)
  const port = heartbeatPort ?? (Number.isInteger(envPort) && envPort > 0 ? envPort : undefined)
  // PM2's schema knows `cron_restart` (its types only the alias `cron`).
  const cron = (options as { cron_restart?: unknown }).cron_restart ?? options.cron
  const delay = Number(options.restart_delay ?? options.exp_backoff_restart_delay ?? 100)
  return {
    name: worker.name,
    service: dnsLabel(worker.name),
    interpreter: worker.interpreter,
    script,
    args: toList(options.args),
    interpreterArgs: toList(options.interpreter_args ?? options.node_args),
    cwd: options.cwd ? toPosix(relative(workspace.root, `${workspace.root}/${options.cwd}`)) || '.' : '.',
    env,
    secrets,
    heartbeat: worker.health.heartbeat,
    health: worker.health,
    ...(port === undefined ? {} : { port }),
    dependsOn: worker.dependsOn,
    replicas: worker.replicas,
    ...(options.increment_var ? { incrementVar: options.increment_var } : {}),
    ...(memoryBytes(options.max_memory_restart) === undefined ? {} : { memoryBytes: memoryBytes(options.max_memory_restart) }),
    killTimeoutMs: Number(options.kill_timeout ?? PM2_KILL_TIMEOUT_MS),
    autorestart: options.autorestart !== false,
    restartDelayMs: Number.isFinite(delay) ? delay : 100,
    ...(cron ? { cronRestart: String(cron) } : {}),
  }
}

function toPosix(path: string): string {
  return path.split('\\').join(posix.sep)
}

function toList(value: string | string[] | undefined): string[] {
  if (value === undefined)
    return []
  return Array.isArray(value) ? value.map(String) : String(value).split(' ').filter(Boolean)
}
