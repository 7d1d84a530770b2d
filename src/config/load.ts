// pm.config.ts to a loaded workspace: c12 loads it (after dotenv has read .env), overrides for
// --env, validation, merged options, layered env and health policy per worker.

import { existsSync, readFileSync, statSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { basename, isAbsolute, relative, resolve } from 'node:path'
import { loadConfig, type LoadConfigOptions } from 'c12'
import { isUserError, WorkspaceError } from '../errors.ts'
import { toHealthPolicy } from '../model/policy.ts'
import type { Interpreter, Mode, Pm2Rules, WorkerOptions, Workspace } from '../types/config.ts'
import { CONFIG_NAME, DEFAULT_GROUP, mergeOptions } from './defaults.ts'
import { forgetInjected, type LayeredEnv, layerEnv, loadBaseEnv, withPassed } from './env.ts'
import { applyOverrides, overrideEnvs } from './overrides.ts'
import { replicaCount } from '../model/units.ts'
import { trace } from '../trace.ts'
import { validateOverrides, validateWorkspace } from './validate.ts'
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
  interpreter: Interpreter
  /** The worker's script fields as written (relative to the root); `interpreter` picks one. */
  scripts: Partial<Record<Interpreter, string>>
  /** Merged options (worker over defaults over built-ins), without `env` and bun-pm's own `health` and `passEnv`. */
  options: Omit<WorkerOptions, 'env' | 'health' | 'passEnv'>
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
  const baseEnv = loadBaseEnv(root, mode)
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
      const { env, health, passEnv, ...options } = merged
      const interpreter = options.interpreter ?? 'bun'
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
        options,
        env: layerEnv(layerEnv(withPassed(baseEnv, passEnv), workspace.defaults?.env, 'defaults.env'), worker.options?.env, 'options.env'),
      }
    }),
  }
}

/**
 * c12 finds the file; under bun, bun itself imports it (c12 would transpile it with jiti, whose
 * line numbers in errors are off). The default export is kept as it is: c12 would merge a
 * non-object away, and a missing default export should not read as an empty workspace.
 */
const NO_DEFAULT_EXPORT = Symbol('no default export')
const bunImporter = {
  async import(id: string) {
    const module = await import(`${id}?t=${Date.now()}`)
    return 'default' in module ? { value: module.default } : { value: NO_DEFAULT_EXPORT }
  },
} as unknown as NonNullable<LoadConfigOptions['jiti']>

/** The config being evaluated now, if one is. */
let loading: string | undefined
let exitGuarded = false

/**
 * A config that exits would end bun-pm with its code and no word (a deploy script sees success):
 * while one is evaluated, process.exit() throws instead. bun-pm itself exits through
 * `exitProcess` (src/os/exit.ts), which was taken before this and is never refused.
 */
function refuseExitWhileLoading(): void {
  if (exitGuarded)
    return
  exitGuarded = true
  const exit = process.exit
  process.exit = ((code?: number) => {
    if (loading === undefined)
      return exit(code)
    throw new WorkspaceError(`${loading}: the config called process.exit(${code ?? ''}) while loading; a config describes workers and must not exit: remove the call`)
  }) as typeof process.exit
}

/** A config that has not finished evaluating by then (a top-level await that never settles) is an error. */
export const CONFIG_LOAD_TIMEOUT_MS = 10_000

async function importConfig(root: string): Promise<{ raw: unknown, configFile: string }> {
  let result
  const configPath = displayPath(resolve(root, `${CONFIG_NAME}.config.ts`))
  // A config that exits would end bun-pm with its code and no word (a deploy script sees success).
  refuseExitWhileLoading()
  loading = configPath
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WorkspaceError(`${configPath}: the config did not finish loading within ${CONFIG_LOAD_TIMEOUT_MS / 1000} s (a top-level await that never settles?); fix the config and run the command again`)), CONFIG_LOAD_TIMEOUT_MS)
    })
    result = await Promise.race([timeout, loadConfig<Workspace & Record<string, unknown>>({
      ...(process.versions.bun && { jiti: bunImporter }),
      name: CONFIG_NAME,
      cwd: root,
      rcFile: false,
      globalRc: false,
      packageJson: false,
      dotenv: false,
      envName: false,
      extend: false,
      giget: false,
    })])
  }
  catch (error) {
    throw isUserError(error) ? error : new WorkspaceError(describeLoadError(error, root), { cause: error })
  }
  finally {
    clearTimeout(timer)
    loading = undefined
  }
  if (!result._configFile)
    throw new WorkspaceError(`${displayPath(root)}: no ${CONFIG_NAME}.config.ts here; create one (see the README's config reference) or pass --cwd the folder that has it`)
  const main = result.layers?.find(layer => layer.configFile !== undefined)?.config
  const raw = isBoxed(main) ? main.value : result.config
  return { raw: raw === NO_DEFAULT_EXPORT ? undefined : raw, configFile: result._configFile }
}

function isBoxed(value: unknown): value is { value: unknown } {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 1 && 'value' in value
}

/** A syntax or evaluation error in the config as `file:line: message; fix`. */
function describeLoadError(error: unknown, root: string): string {
  // bun reports syntax errors as an AggregateError of BuildMessages that carry a position.
  const first = error instanceof AggregateError ? error.errors[0] : error
  const position = (first as { position?: { file: string, line: number, column: number } } | undefined)?.position
  const where = position ? `${displayPath(position.file)}:${position.line}:${position.column}` : configLocation(error, root)
  const message = first instanceof Error ? first.message.split('\n')[0]!.trim() : String(first)
  return `${where}: ${message}; fix the config and run the command again`
}

/** The first place in the user's files named by the error (its stack, or a parser's position). */
function configLocation(error: unknown, root: string): string {
  const text = error instanceof Error ? `${error.stack ?? ''}\n${error.message}` : ''
  const pattern = /((?:\/|file:\/\/)[^\s()'"]+?\.(?:[cm]?[jt]s|json)):(\d+)(?::(\d+))?/g
  for (const match of text.matchAll(pattern)) {
    const file = match[1]!.replace(/^file:\/\//, '')
    if (file.startsWith(root) && !file.includes('/node_modules/'))
      return `${displayPath(file)}:${match[2]}${match[3] ? `:${match[3]}` : ''}`
  }
  return displayPath(resolve(root, `${CONFIG_NAME}.config.ts`))
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

/** Relative to the current folder when inside it, absolute otherwise. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
