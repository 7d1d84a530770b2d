// pm.config.ts to a loaded workspace, step by step: .env read (dotenv), the config imported
// (import-config.ts), overrides for --env, validation, merged options, layered env and health
// policy per worker.

import { existsSync, readFileSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { basename, resolve } from 'node:path'
import { WorkspaceError } from '../errors.ts'
import { toHealthPolicy } from '../model/policy.ts'
import type { Interpreter, Mode, Pm2Rules, RunsUnder, WorkerOptions } from '../types/config.ts'
import { CONFIG_NAME, DEFAULT_GROUP, mergeOptions } from './defaults.ts'
import { forgetInjected, type LayeredEnv, layerEnv, loadBaseEnv, withDotenv, withPassed } from './env.ts'
import { applyOverrides, overrideEnvs } from './overrides.ts'
import { replicaCount } from '../model/units.ts'
import { type LogBudget, toLogBudget } from '../model/log-lines.ts'
import { trace } from '../trace.ts'
import { NOT_FOR_CMD } from '../model/command.ts'
import { validateOverrides, validateWorkspace } from './validate.ts'
import { displayPath, importConfig } from './import-config.ts'
import type { HealthPolicy } from '../types/health.ts'

/** A worker as configured: validated, options merged, environment layered. Nothing checked on disk yet. */
export interface LoadedWorker {
  name: string
  group: string
  activated: boolean
  heartbeat?: string
  /** How its health is judged, from `heartbeat`, `options.health` and the crash-loop options. */
  health: HealthPolicy
  /** How many processes it runs: `instances` resolved (`'max'` = one per core). */
  replicas: number
  /** Workers that must be ready before this one starts. */
  dependsOn: string[]
  /** Its interpreter, or `cmd` for a worker that runs a program of its own. */
  interpreter: RunsUnder
  /** The worker's script fields as written (relative to the root); `interpreter` picks one. */
  scripts: Partial<Record<Interpreter, string>>
  /** A cmd worker's command as written: a shell command line, or the program and its arguments. */
  cmd?: string | string[]
  /** Merged options (worker over defaults over built-ins), without `env` and bun-pm's own `health`, `passEnv`, `dotenv`, `logs` and `publish`. */
  options: Omit<WorkerOptions, 'env' | 'health' | 'passEnv' | 'dotenv' | 'logs' | 'publish'>
  /** `options.publish` (export --to=compose): where its port is published on the host; absent: the default. */
  publish?: WorkerOptions['publish']
  /** Its log files' budget (`options.logs`); null or absent: unbounded. */
  logs?: LogBudget | null
  /** The full environment, each value with where it came from. */
  env: LayeredEnv
}

export interface LoadedWorkspace {
  /** Absolute path of the folder that holds the config; scripts and `cwd` are relative to it. */
  root: string
  /** Absolute path of the config file. */
  configFile: string
  /** The config file as the user would name it in a message. */
  configLabel: string
  /** The PM2 namespace of this workspace's workers. */
  namespace: string
  mode: Mode
  /** The environment whose `$<env>` overrides were applied. */
  envName: string
  /** What the installed PM2 accepts: the plan checks the workers that run against it too. */
  rules: Pm2Rules
  workers: LoadedWorker[]
}

export interface LoadWorkspaceOptions {
  /** The folder to look for `pm.config.ts` in. @default process.cwd() */
  cwd?: string
  mode: Mode
  /** Whose `$<env>` overrides apply. @default 'development' for dev, 'production' for start */
  env?: string
  /** What the installed PM2 accepts (src/pm2/schema.ts's `pm2Rules()`): the config is checked against it. */
  rules: Pm2Rules
}

/** The environment whose overrides apply when `--env` does not say. */
export const ENV_BY_MODE: Record<Mode, string> = { dev: 'development', start: 'production' }

/** The one place that reads `pm.config.ts` and `.env`: loads, validates and merges them. */
export async function loadWorkspace({ cwd = process.cwd(), mode, env, rules }: LoadWorkspaceOptions): Promise<LoadedWorkspace> {
  const root = resolve(cwd)
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new WorkspaceError(`${root}: no such folder; pass --cwd a folder that holds ${CONFIG_NAME}.config.ts`)
  const { env: baseEnv, fileKeys } = loadBaseEnv(root, mode)
  trace('.env read')
  const { raw, configFile } = await importConfig(root).finally(forgetInjected)
  trace('config imported')
  const configLabel = displayPath(configFile)
  validateOverrides(raw, configLabel)
  const envName = env ?? ENV_BY_MODE[mode]
  // The workspace alone, then with each environment's block as if it applied: a mistake in
  // `$development` fails `start` too, rather than pass today and fail the first `dev`, and the
  // error names the block it is in.
  validateWorkspace(isRecord(raw) ? applyOverrides(raw, '') : raw, configLabel, rules)
  for (const name of isRecord(raw) ? overrideEnvs(raw) : [])
    validateWorkspace(applyOverrides(raw as Record<string, unknown>, name), `${configLabel} ($${name})`, rules)
  const workspace = validateWorkspace(isRecord(raw) ? applyOverrides(raw, envName) : raw, configLabel, rules)
  return {
    root,
    configFile,
    configLabel,
    namespace: workspace.name ?? defaultNamespace(root, configLabel),
    mode,
    envName,
    rules,
    workers: workspace.workers.map(worker => {
      const merged = mergeOptions(worker.options, workspace.defaults)
      const { env, health, passEnv, dotenv, logs, publish, ...options } = merged
      // A cmd worker names its program itself: the interpreter options (the built-in `interpreter:
      // 'bun'`, those of `defaults`) are the script workers'. Its own are refused by validation.
      if (worker.cmd !== undefined) {
        for (const key of NOT_FOR_CMD)
          delete options[key]
      }
      const interpreter = worker.cmd !== undefined ? 'cmd' : options.interpreter ?? 'bun'
      return {
        name: worker.name,
        group: worker.group ?? DEFAULT_GROUP,
        activated: worker.activated ?? true,
        heartbeat: worker.heartbeat?.trim() || undefined,
        health: toHealthPolicy(worker.heartbeat, merged),
        dependsOn: worker.dependsOn ?? [],
        replicas: replicaCount(options.instances, availableParallelism()),
        interpreter,
        scripts: { bun: worker.bun || undefined, node: worker.node || undefined, tsx: worker.tsx || undefined },
        ...(worker.cmd !== undefined && { cmd: worker.cmd }),
        options,
        logs: toLogBudget(logs),
        ...(publish !== undefined && { publish }),
        env: layerEnv(layerEnv(withPassed(withDotenv(baseEnv, fileKeys, dotenv), passEnv), workspace.defaults?.env, 'defaults.env'), worker.options?.env, 'options.env'),
      }
    }),
  }
}

/**
 * package.json's name, else the folder's. A package.json that cannot be read is an error, not a
 * quiet fall back to the folder's name: that would move the workspace to another namespace and
 * leave its running workers unmanaged.
 */
function defaultNamespace(root: string, configLabel: string): string {
  const path = resolve(root, 'package.json')
  if (existsSync(path)) {
    let name: unknown
    try {
      name = (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown } | null)?.name
    }
    catch (error) {
      throw new WorkspaceError(`${displayPath(path)}: ${(error as Error).message.split('\n')[0]}; bun-pm names the workspace's PM2 namespace after its \`name\`: fix the file, or set \`name\` in ${configLabel}`, { cause: error })
    }
    if (typeof name === 'string' && name)
      return name.replace(/^@/, '').replace(/[^\w.-]+/g, '-')
  }
  return basename(root).replace(/[^\w.-]+/g, '-')
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
