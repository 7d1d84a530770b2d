// What reaches a worker's environment, layered with where each value came from: the .env files,
// the shell's runtime variables and what passEnv names, NODE_ENV by mode, then the config.

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'dotenv'
import { WorkspaceError } from '../errors.ts'
import type { EnvSource, Mode } from '../types/config.ts'

/** The files read from the workspace root, lowest precedence first. */
export const ENV_FILES = ['.env', '.env.local'] as const

/** Each variable with the layer it came from; later layers win. */
export type LayeredEnv = Record<string, { value: string, source: EnvSource }>

/**
 * What `npm run` / `bun run` set for the launcher's own script (npm_package_*, npm_lifecycle_*,
 * INIT_CWD, ...): not the workers' business, and it differs between `npm start` and `bun start`,
 * which would make one restart every worker the other started.
 */
const LAUNCH_TOOL_VARIABLE = /^(npm_.*|INIT_CWD|_)$/

const NODE_ENV_BY_MODE: Record<Mode, string> = { dev: 'development', start: 'production' }

/**
 * The launcher's environment as it started. The launcher itself later sets variables (PM2_HOME
 * and the daemon's settings, .env values for the config to read); those must not reach workers as
 * if the shell had set them, or every later load would differ from the first.
 */
const SHELL_ENV: Readonly<Record<string, string | undefined>> = { ...process.env }

/** Keys this module put into `process.env`, so that the next load can take back the ones that are gone. */
const injected = new Map<string, string>()

/**
 * What every program needs to run, taken from the launcher's shell for every worker — but never
 * counted as a change: they differ between an ssh login, cron, CI and a terminal (`PATH` most of
 * all), and a deploy from any of them must keep what runs. A worker gets the values of the start
 * that last (re)started it.
 */
const RUNTIME_VARIABLE = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TMP|TEMP|TERM|NO_COLOR|FORCE_COLOR)$/

/** The shell variables a worker gets: the runtime ones, and those `.env` files name or `passEnv` lists (NODE_ENV always). */
export function isRuntimeVariable(key: string): boolean {
  return RUNTIME_VARIABLE.test(key)
}

/**
 * The environment every worker of the workspace starts from: `.env`, then `.env.local`, then from
 * the launcher's shell the runtime variables (source `runtime`) and those the files name or
 * `NODE_ENV` (source `shell`: the shell wins over the files, and counts), then `NODE_ENV` for the
 * mode when nobody set it. The rest of the shell reaches a worker only through `passEnv`
 * (`withPassed`). Pure: the files' contents and the shell come in.
 */
export function layerBaseEnv({ files, shell, mode }: {
  /** Each file's variables, lowest precedence first. */
  files: [EnvSource, Record<string, string>][]
  shell: Readonly<Record<string, string | undefined>>
  mode: Mode
}): LayeredEnv {
  const env: LayeredEnv = {}
  for (const [source, vars] of files) {
    for (const [key, value] of Object.entries(vars))
      env[key] = { value, source }
  }
  for (const [key, value] of Object.entries(shell)) {
    if (value === undefined || LAUNCH_TOOL_VARIABLE.test(key))
      continue
    if (key in env || key === 'NODE_ENV')
      env[key] = { value, source: 'shell' }
    else if (isRuntimeVariable(key))
      env[key] = { value, source: 'runtime' }
  }
  env.NODE_ENV ??= { value: NODE_ENV_BY_MODE[mode], source: 'mode' }
  return env
}

/** True for a variable name that one of `patterns` names (`'AWS_PROFILE'`, `'AWS_*'`: `*` matches any part). */
function namedBy(patterns: readonly string[]): (key: string) => boolean {
  const matchers = patterns.map(pattern => new RegExp(`^${pattern.split('*').map(part => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`))
  return key => matchers.some(m => m.test(key))
}

/** `env` with the shell's variables that `patterns` name (`'AWS_PROFILE'`, `'AWS_*'`), as counted shell values. Pure. */
export function withPassed(env: LayeredEnv, patterns: readonly string[] | undefined, shell: Readonly<Record<string, string | undefined>> = SHELL_ENV): LayeredEnv {
  if (!patterns?.length)
    return env
  const named = namedBy(patterns)
  const out = { ...env }
  for (const [key, value] of Object.entries(shell)) {
    if (value !== undefined && !LAUNCH_TOOL_VARIABLE.test(key) && named(key))
      out[key] = { value, source: 'shell' }
  }
  return out
}

/**
 * `env` less the variables of the `.env` files that a worker's `options.dotenv` does not give it:
 * `true` or absent, all of them; `false`, none; a list, those it names. A variable the files name
 * goes with the shell's value too (the shell only overrides what the files give; `passEnv` can
 * still pass it). NODE_ENV always stays. So a `.env` edit is no change to a worker that does not
 * receive the variable. Pure.
 */
export function withDotenv(env: LayeredEnv, fileKeys: ReadonlySet<string>, rule: boolean | readonly string[] | undefined): LayeredEnv {
  if (rule === undefined || rule === true)
    return env
  const named = rule === false ? () => false : namedBy(rule)
  return Object.fromEntries(Object.entries(env).filter(([key]) => key === 'NODE_ENV' || !fileKeys.has(key) || named(key)))
}

/** The shell variables no rule passes to workers: what `explain` says was left out. */
export function leftOutOfShell(env: LayeredEnv, shell: Readonly<Record<string, string | undefined>> = SHELL_ENV): string[] {
  return Object.keys(shell).filter(key => shell[key] !== undefined && !(key in env) && !LAUNCH_TOOL_VARIABLE.test(key)).sort()
}

/**
 * `layerBaseEnv` for the workspace at `root`, read from its files and the launcher's environment,
 * and the names the files give (for `withDotenv`).
 * The file values (and the mode's NODE_ENV) are also put into `process.env` where it has none, as
 * dotenv does, so that `pm.config.ts` can read them while it is evaluated; `forgetInjected` takes
 * them back.
 */
export function loadBaseEnv(root: string, mode: Mode): { env: LayeredEnv, fileKeys: Set<string> } {
  forgetInjected()
  const files = ENV_FILES.map(file => [file, readEnvFile(join(root, file))] as [EnvSource, Record<string, string>])
  const env = layerBaseEnv({ files, shell: SHELL_ENV, mode })
  for (const [key, { value, source }] of Object.entries(env)) {
    if (source !== 'shell' && source !== 'runtime') {
      process.env[key] = value
      injected.set(key, value)
    }
  }
  return { env, fileKeys: new Set(files.flatMap(([, vars]) => Object.keys(vars))) }
}

/**
 * Takes back what the last load injected, unless something changed it since: once the config is
 * evaluated, `.env` values must not linger in the launcher's environment, or a PM2 daemon it
 * spawns would keep them (and hand them to every later app of every workspace).
 */
export function forgetInjected(): void {
  for (const [key, value] of injected) {
    if (process.env[key] === value)
      delete process.env[key]
  }
  injected.clear()
}

/** Lays `vars` over `env` as coming from `source`. */
export function layerEnv(env: LayeredEnv, vars: Record<string, unknown> | undefined, source: EnvSource): LayeredEnv {
  const out = { ...env }
  for (const [key, value] of Object.entries(vars ?? {})) {
    if (value !== undefined && value !== null)
      out[key] = { value: String(value), source }
  }
  return out
}

/** The variables of the workspace's `.env` files, `.env.local` over `.env`. */
export function readEnvFiles(root: string): Record<string, string> {
  return Object.assign({}, ...ENV_FILES.map(file => readEnvFile(join(root, file))))
}

function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path))
    return {}
  try {
    return parse(readFileSync(path))
  }
  catch (error) {
    throw new WorkspaceError(`${path}: cannot be read (${(error as Error).message}); fix its permissions or remove it`, { cause: error })
  }
}
