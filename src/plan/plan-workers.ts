// Selected workers turned into what PM2 is handed: checked on disk, options by mode, and the
// version each runs. The decisions are pure; what is on disk (files, folders, interpreters, code)
// comes in through `Disk`, the machine's by default.

import { resolve } from 'node:path'
import { WorkspaceError } from '../errors.ts'
import { CRASH_LOOP_DEFAULTS } from '../model/policy.ts'
import { modeOptions, SCRIPT_KEY, WORKER_ENTRY, watchesOwnCode } from './mode-options.ts'
import { encodeBudget, LOG_BUDGET_KEY } from '../model/log-lines.ts'
import type { LoadedWorker, LoadedWorkspace } from '../config/load.ts'
import { PLAN_HASH_KEY, PLAN_PARTS_KEY, versionHash, versionParts } from '../model/version.ts'
import type { Interpreter, Pm2StartOptions } from '../types/config.ts'
import { commandWords } from '../model/command.ts'
import { INTERPRETERS } from '../model/interpreters.ts'
import { toList } from '../model/args.ts'
import { type Disk, machineDisk } from './disk.ts'
import { packageScript } from '../invocation.ts'

/** A selected worker, checked on disk, with the exact options handed to PM2. */
export interface PlannedWorker extends LoadedWorker {
  /** Absolute path of the interpreter, as PM2 will run it (a cmd worker's: its program). */
  interpreterPath: string
  /** Absolute path of the script (a cmd worker's: its program). */
  script: string
  /** A cmd worker's command as PM2 runs it: the program's absolute path, then its arguments. */
  command?: string[]
  /** What PM2 is handed, as one PM2 app (`instances` and all): with its version in its env. */
  startOptions: Pm2StartOptions
  /** The version's digest, and each part's (see version.ts). */
  hash: string
  parts: Record<string, string>
  /** In `start`: the files whose content is the `code` part of its version (the script first), and the lockfile. */
  code?: { files: string[], lockfile: string | undefined }
  /** In `dev`, a worker PM2's watcher restarts on an edit of its own code: those files (the script first). */
  watchedCode?: string[]
}

/**
 * Turns selected workers into PM2 start options. Only selected workers are checked on disk: a
 * worker nobody runs may lack its built script or interpreter.
 */
export function planWorkers(workspace: LoadedWorkspace, workers: LoadedWorker[], disk: Disk = machineDisk()): PlannedWorker[] {
  return workers.map(worker => planWorker(workspace, worker, disk))
}

function planWorker(workspace: LoadedWorkspace, worker: LoadedWorker, disk: Disk): PlannedWorker {
  const { root, configLabel, namespace } = workspace
  const { name, interpreter } = worker
  const { node_args, interpreter_args, instances, ...options } = worker.options
  const at = `${configLabel}: worker "${name}"`
  const run = worker.cmd === undefined ? scriptRun(worker, root, at, disk) : commandRun(worker.cmd, root, at, disk)
  const { script, interpreterPath } = run
  const cwd = options.cwd ? resolve(root, options.cwd) : root
  if (options.cwd && !disk.isFolder(cwd))
    throw new WorkspaceError(`${at}: \`cwd\` "${options.cwd}" is no folder (${cwd}); PM2 could not start the worker there: create it, or fix the path (it is relative to the workspace root)`)
  // Checked only for the workers that run, as the script is: users and groups are this machine's.
  const runAs = workspace.rules.runAs?.(worker.options as { uid?: unknown, user?: unknown, gid?: unknown })[0]
  if (runAs)
    throw new WorkspaceError(`${at}: ${runAs}`)
  const args = toList(interpreter_args ?? node_args)
  // The launcher already read .env and .env.local; bun reading them again in the worker would
  // bring back values the config overrode or the user deleted.
  if (interpreter === 'bun')
    args.unshift('--no-env-file')
  checkEnvSize(worker, at)
  const env = Object.fromEntries(Object.entries(worker.env).map(([key, { value }]) => [key, value]))
  // A worker's code is read once, whether the version (start) or the watch (dev) needs it.
  let read: ReturnType<Disk['code']> | undefined
  const readCode = () => read ??= disk.code(script)
  const byMode = modeOptions(workspace.mode, worker, script, root, args, () => readCode().files)
  // A crashing worker waits longer before each restart (PM2: x1.5 each time, at most 15 s, reset
  // after 30 s up) instead of hammering what it depends on, unless the config chose a delay.
  // (PM2 leaves a process that it will not restart in 'waiting restart' when a back-off is set.)
  const backoff = options.restart_delay === undefined && options.exp_backoff_restart_delay === undefined && options.autorestart !== false
    ? { exp_backoff_restart_delay: CRASH_LOOP_DEFAULTS.backoffMs }
    : {}
  if (byMode.interpreter_args.length === 0)
    delete (byMode as Partial<typeof byMode>).interpreter_args
  const startOptions: Pm2StartOptions = {
    ...backoff,
    // PM2 looks every kill_retry_time (100 ms) whether a stopped process has exited: a deploy
    // waits for each old process's exit before the next unit, and Ctrl-C for all of them.
    ...{ kill_retry_time: KILL_RETRY_MS } as Partial<Pm2StartOptions>,
    ...options,
    name,
    ...run.pm2,
    cwd,
    namespace,
    exec_mode: 'fork',
    // 'max' and -1 resolved here, so that a count is a count (and a new one a scale).
    ...(instances === undefined ? {} : { instances: worker.replicas }),
    // Read by bun-pm's log writer in the daemon (src/pm2/daemon-logs.ts).
    ...(worker.logs && { [LOG_BUDGET_KEY]: encodeBudget(worker.logs) } as Partial<Pm2StartOptions>),
    ...byMode,
    env: interpreter === 'bun' ? { ...env, [SCRIPT_KEY]: script } : env,
  }
  const { env: _, ...rest } = startOptions
  const parts = versionParts(rest, interpreter === 'bun' ? { ...worker.env, [SCRIPT_KEY]: { value: script, source: 'bun-pm' } } : worker.env)
  // A deploy is new code under the same config: in `start` the code is part of the version. (In
  // `dev` each worker's own watch restarts it on an edit; a config reload must not do it twice.)
  // A cmd worker has no project code to read: its command and environment are its version.
  const code = workspace.mode === 'start' && interpreter !== 'cmd' ? readCode() : undefined
  if (code)
    parts.code = code.digest
  const hash = versionHash(parts)
  startOptions.env = { ...startOptions.env, [PLAN_HASH_KEY]: hash, [PLAN_PARTS_KEY]: JSON.stringify(parts) }
  const watchedCode = workspace.mode === 'dev' && watchesOwnCode(worker) ? readCode().files : undefined
  return { ...worker, interpreterPath, script, ...(run.command && { command: run.command }), startOptions, hash, parts, ...(code && { code: { files: code.files, lockfile: code.lockfile } }), ...(watchedCode && { watchedCode }) }
}

interface Run {
  script: string
  interpreterPath: string
  /** What PM2 runs: its `script` and `interpreter` (and a cmd worker's `args`). */
  pm2: Pick<Pm2StartOptions, 'script' | 'interpreter' | 'args'>
  command?: string[]
}

/** A script worker: its script, checked on disk, under its interpreter (bun through bun-pm's entry). */
function scriptRun(worker: LoadedWorker, root: string, at: string, disk: Disk): Run {
  const interpreter = worker.interpreter as Interpreter
  const scriptField = worker.scripts[interpreter]
  if (!scriptField) {
    const has = INTERPRETERS.filter(field => worker.scripts[field] !== undefined)
    throw new WorkspaceError(`${at} runs under ${interpreter} but has no \`${interpreter}\` script; add \`${interpreter}: 'path/to/script'\`${has.length ? ` or set \`options.interpreter\` to ${has.map(i => `'${i}'`).join(' or ')}` : ' (or `cmd` to run a program)'}`)
  }
  const script = resolve(root, scriptField)
  if (!disk.isFile(script)) {
    const hint = /(^|\/)dist\//.test(scriptField) ? `; run \`${packageScript('build')}\` first` : '; fix the path (it is relative to the workspace root)'
    throw new WorkspaceError(`${at}: ${interpreter} script "${scriptField}" does not exist (${script})${hint}`)
  }
  const interpreterPath = disk.interpreter(interpreter, root, at)
  // bun workers run through bun-pm's entry, which loads the script as `bun file.ts` would.
  return { script, interpreterPath, pm2: { script: interpreter === 'bun' ? WORKER_ENTRY : script, interpreter: interpreterPath } }
}

/**
 * A cmd worker: PM2 spawns its program itself (`interpreter: 'none'`) with the arguments, a
 * command line under `/bin/sh -c`. PM2 stops the whole process tree (its `treekill`), so a
 * shell's children go with it.
 */
function commandRun(cmd: string | string[], root: string, at: string, disk: Disk): Run {
  const [program, ...args] = commandWords(cmd)
  const path = disk.program(program, root, at)
  return { script: path, interpreterPath: path, pm2: { script: path, interpreter: 'none', args }, command: [path, ...args] }
}

/** How often PM2 looks whether a process it stops has exited (its own default: 100 ms). */
export const KILL_RETRY_MS = 20

/** Linux refuses to start a process (E2BIG) with one environment string over this... */
const MAX_ENV_STRING = 128 * 1024
/** ...or with arguments and environment over ARG_MAX (2 MiB here), less room for the arguments. */
const MAX_ENV_TOTAL = 2 * 1024 * 1024 - 64 * 1024

/** An environment the OS would refuse is an error now, not a spawn failure that only pm2.log mentions. */
function checkEnvSize(worker: LoadedWorker, at: string): void {
  let total = 0
  const bySource = new Map<string, number>()
  for (const [key, { value, source }] of Object.entries(worker.env)) {
    const size = Buffer.byteLength(`${key}=${value}`) + 1
    if (size > MAX_ENV_STRING)
      throw new WorkspaceError(`${at}: variable ${key} (from ${source}) is ${Math.round(size / 1024)} KB; Linux starts no process with a variable over 128 KB: put the value in a file and pass its path`)
    total += size
    bySource.set(source, (bySource.get(source) ?? 0) + size)
  }
  if (total > MAX_ENV_TOTAL) {
    const [source, size] = [...bySource].sort((a, b) => b[1] - a[1])[0]!
    throw new WorkspaceError(`${at}: its environment is ${Math.round(total / 1024)} KB (${Math.round(size / 1024)} KB from ${source}); Linux starts no process with over 2 MB of arguments and environment: trim ${source}`)
  }
}
