// How the user runs bun-pm, so that every hint names a command the way they would type it: a
// package script of theirs (`bun start`, `npm run status`), their package manager's runner
// (`npx bun-pm start`), or the `bun-pm` binary on their PATH. A shared leaf: hints are made in
// every layer. The reader is thin; what it decides is `decideInvocation` and `commandAs`, below.

import { readFileSync, realpathSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { packageRoot } from './bun-pm-files.ts'

/** `bun-pm <command>` as the user runs it, e.g. `bunPm('start --workers=web')` is `npx bun-pm start --workers=web` after `npx bun-pm …`. */
export function bunPm(command: string): string {
  return commandAs(invocation(), command)
}

/** Package script `name` of the project as the user runs it (`bun run build`, `npm run build`). */
export function packageScript(name: string): string {
  const found = invocation()
  return scriptLine(found.via === 'bin' ? 'bun' : found.runner, name, '')
}

/** The package manager that runs this process's package script (`bun start`: bun, `npm start`: npm), if one does. */
export function scriptRunner(): Runner | undefined {
  return runnerOf({ userAgent: process.env.npm_config_user_agent, parent: argv0Of(process.ppid), event: process.env.npm_lifecycle_event })
}

let cached: Invocation | undefined

/** How this process was run, read once: the package manager's variables, the project's scripts, the PATH. */
export function invocation(): Invocation {
  cached ??= decideInvocation(readFacts())
  return cached
}

function readFacts(): InvocationFacts {
  const env = process.env
  const root = packageRoot()
  const project = env.npm_package_json || join(process.cwd(), 'package.json')
  return {
    userAgent: env.npm_config_user_agent,
    parent: argv0Of(process.ppid),
    event: env.npm_lifecycle_event,
    script: env.npm_lifecycle_script,
    scripts: scriptsOf(project),
    ownScripts: realOr(dirname(project)) === realOr(root),
    installed: /[\\/]node_modules[\\/]/.test(root),
    onPath: onPath(join(root, 'bin/bun-pm'), env.PATH ?? ''),
  }
}

/** The program a process runs, as it was called (`/…/node_modules/.bin/bun`); '' where /proc cannot say. */
function argv0Of(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? ''
  }
  catch {
    return ''
  }
}

function scriptsOf(file: string): Record<string, string> {
  try {
    const scripts = (JSON.parse(readFileSync(file, 'utf8')) as { scripts?: unknown }).scripts
    return typeof scripts === 'object' && scripts !== null ? Object.fromEntries(Object.entries(scripts).filter(([, text]) => typeof text === 'string')) : {}
  }
  catch {
    return {}
  }
}

/** Whether `bun-pm` on PATH is this one (a global install, or a PATH that holds the project's node_modules/.bin). */
function onPath(bin: string, path: string): boolean {
  const real = realOr(bin)
  return real !== undefined && path.split(delimiter).some(dir => dir !== '' && realOr(join(dir, 'bun-pm')) === real)
}

function realOr(path: string): string | undefined {
  try {
    return realpathSync(path)
  }
  catch {
    return undefined
  }
}

// ---- The decision, pure ----

/** The package managers whose way of running a script or a package's binary bun-pm can say. */
export type Runner = 'bun' | 'npm' | 'pnpm' | 'yarn'

export type Invocation =
  /** Through a package script (`bun start`, `npm run status`): other commands by their script too, else as `otherwise` says. */
  | { via: 'script', runner: Runner, scripts: Record<string, string>, otherwise: string }
  /** Through the runner's exec (`npx bun-pm`, `bunx bun-pm`). */
  | { via: 'exec', runner: Runner }
  /** As `bun-pm` itself: on the PATH, or from a checkout of bun-pm. */
  | { via: 'bin' }

export interface InvocationFacts {
  /** npm_config_user_agent: which package manager ran us (`npm/11.1 node/v20 …`, `bun/1.4.5 npm/? …`). */
  userAgent: string | undefined
  /**
   * The program of the parent process: bun runs a script's command itself, and keeps a user agent
   * it inherits (`npx bun run logs` says npm), so a bun parent says bun ran the script.
   */
  parent: string
  /** npm_lifecycle_event: the script it ran (`start`), or `npx`/`bunx` for its exec. */
  event: string | undefined
  /** npm_lifecycle_script: that script's command line (`bun-pm start`, `'bun-pm' 'status'`). */
  script: string | undefined
  /** The scripts of the project's package.json (the one the package manager ran, or the cwd's). */
  scripts: Record<string, string>
  /** That project is bun-pm's own checkout (whose node_modules/.bin has no bun-pm). */
  ownScripts: boolean
  /** bun-pm runs from a node_modules folder (installed), not from a checkout of its own. */
  installed: boolean
  /** The `bun-pm` on PATH is this bun-pm. */
  onPath: boolean
}

/**
 * A package manager's variables count only when what it ran is bun-pm (they are inherited: `npx
 * bun test` says npx to every process below it). Else an installed bun-pm not on the PATH was run
 * by its path in node_modules/.bin, for which `npx bun-pm` is the short way; else `bun-pm`.
 */
export function decideInvocation({ userAgent, parent, event, script, scripts, ownScripts, installed, onPath }: InvocationFacts): Invocation {
  const runner = runnerOf({ userAgent, parent, event })
  if (runner && event && script !== undefined && RUNS_BUN_PM.test(script)) {
    if (event === 'npx' || event === 'bunx')
      return { via: 'exec', runner }
    // A command without a script: by the runner's exec in a project that installed bun-pm; in bun-pm's checkout, by its binary.
    return { via: 'script', runner, scripts, otherwise: ownScripts ? 'bun-pm' : EXEC[runner] }
  }
  if (installed && !onPath)
    return { via: 'exec', runner: 'npm' }
  return { via: 'bin' }
}

/** The package manager that ran the script: bun when it is the parent process, else the one the user agent names (`npm/11.1 node/v20 …`), if bun-pm knows it. */
export function runnerOf({ userAgent, parent, event }: Pick<InvocationFacts, 'userAgent' | 'parent' | 'event'>): Runner | undefined {
  if (/(?:^|\/)bun(?:\.exe)?$/.test(parent) && event !== 'npx')
    return 'bun'
  const name = userAgent?.split('/')[0]
  return name === 'bun' || name === 'npm' || name === 'pnpm' || name === 'yarn' ? name : undefined
}

/** A command line that runs bun-pm: its binary, or this repository's entry (`bun src/commands/exec-process.ts status`). */
const RUNS_BUN_PM = /(?:^|[\s/'"])(?:bun-pm|exec-process\.[cm]?[jt]s)(?:['"]|\s|$)/

const EXEC: Record<Runner, string> = { bun: 'bunx bun-pm', npm: 'npx bun-pm', pnpm: 'pnpm exec bun-pm', yarn: 'yarn bun-pm' }

/**
 * `bun-pm <command>` (`start --workers=web`) as the user runs it: by a package script that runs
 * exactly that subcommand (the one of its name first), else by the runner's exec, else `bun-pm`.
 */
export function commandAs(how: Invocation, command: string): string {
  if (how.via === 'bin')
    return `bun-pm ${command}`
  const [name = '', ...rest] = command.split(' ')
  if (how.via === 'script') {
    const runs = new RegExp(`(?:^|[\\s/'"])(?:bun-pm|exec-process\\.[cm]?[jt]s)['"]?\\s+['"]?${name}['"]?\\s*$`)
    const matching = Object.entries(how.scripts).filter(([, text]) => runs.test(text.trim())).map(([key]) => key)
    const key = matching.includes(name) ? name : matching[0]
    if (key !== undefined)
      return scriptLine(how.runner, key, rest.join(' '))
    return `${how.otherwise} ${command}`
  }
  return `${EXEC[how.runner]} ${command}`
}

/** Package script `name` run with `args`: `bun start`, `bun dev`, `bun run status --json`, `npm run status -- --json`. */
export function scriptLine(runner: Runner, name: string, args: string): string {
  const bare = name === 'start' || (name === 'dev' && runner === 'bun')
  const line = bare ? `${runner} ${name}` : `${runner} run ${name}`
  if (!args)
    return line
  return runner === 'npm' ? `${line} -- ${args}` : `${line} ${args}`
}
