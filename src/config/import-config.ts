// Importing pm.config.ts: c12 finds it, bun imports it, within a time limit and without letting
// it exit; a syntax or evaluation error becomes one line that names the file and line.

import { createRequire } from 'node:module'
import { isAbsolute, relative, resolve } from 'node:path'
import type { LoadConfigOptions } from 'c12'
import { isUserError, WorkspaceError } from '../errors.ts'
import type { Workspace } from '../types/config.ts'
import { CONFIG_NAME } from './defaults.ts'

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

let jitiDeferred = false

/**
 * c12 imports jiti at its top, ~10 ms of every command under bun, where bun-pm always hands c12
 * bun's own importer instead. Under bun, the `jiti` c12 imports is one that loads the real jiti
 * (c12's own) only when something calls it, so that nothing changes for code that does.
 */
function deferJiti(): void {
  if (jitiDeferred || typeof Bun === 'undefined')
    return
  jitiDeferred = true
  const fromC12 = createRequire(import.meta.resolve('c12'))
  let real: ((...args: unknown[]) => unknown) & { createJiti: (...args: unknown[]) => unknown } | undefined
  const load = () => (real ??= fromC12(fromC12.resolve('jiti')))
  Bun.plugin({
    name: 'bun-pm: jiti on first use',
    setup(build) {
      build.module('jiti', () => ({
        loader: 'object',
        exports: { createJiti: (...args: unknown[]) => load().createJiti(...args), default: (...args: unknown[]) => load()(...args) },
      }))
    },
  })
}

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

export async function importConfig(root: string): Promise<{ raw: unknown, configFile: string }> {
  let result
  const configPath = displayPath(resolve(root, `${CONFIG_NAME}.config.ts`))
  // A config that exits would end bun-pm with its code and no word (a deploy script sees success).
  refuseExitWhileLoading()
  deferJiti()
  const { loadConfig } = await import('c12')
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

/** Relative to the current folder when inside it, absolute otherwise. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}
