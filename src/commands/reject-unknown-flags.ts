// A citty plugin: an unknown flag or a stray word is an error before any command runs.

import type { ArgDef, ArgsDef, CittyPlugin } from 'citty'
import { WorkspaceError } from '../errors.ts'
import { bunPm } from '../invocation.ts'
import { didYouMean } from '../model/suggest.ts'

const BUILTIN_FLAGS = ['help', 'h', 'version', 'v']

/**
 * citty accepts any flag; a mistyped `--group` would silently select the default. This plugin
 * makes an unknown flag or a stray argument an error before the command runs.
 */
export function rejectUnknownFlags(commandName: string): CittyPlugin {
  return {
    name: 'reject-unknown-flags',
    async setup({ rawArgs, cmd }) {
      const argsDef = (typeof cmd.args === 'function' ? await cmd.args() : await cmd.args) ?? {}
      const problem = flagProblem(rawArgs, argsDef, commandName, bunPm)
      if (problem)
        throw new WorkspaceError(problem)
    },
  }
}

/** What is wrong with a command's arguments (an unknown flag, a stray word), or undefined; `command` names a bun-pm command as the user runs it. Pure. */
export function flagProblem(rawArgs: string[], argsDef: ArgsDef, commandName: string, command: (line: string) => string): string | undefined {
  const known = knownFlags(argsDef)
  // The words a command's positional arguments take (`completion bash`).
  let positionals = Object.values(argsDef).filter(def => def.type === 'positional').length
  for (const [index, arg] of rawArgs.entries()) {
    if (arg === '--')
      return undefined
    if (!arg.startsWith('-')) {
      if (!takesValue(rawArgs[index - 1], argsDef) && positionals-- <= 0)
        return `\`${commandName}\` takes no argument "${arg}"; to select workers write --workers=${arg}`
      continue
    }
    const name = arg.replace(/^-{1,2}/, '').split('=')[0]!
    if (!known.has(name))
      return `unknown flag ${arg.split('=')[0]}${didYouMean(name, [...known].filter(f => f.length > 1))} for \`${commandName}\`; run \`${command(`${commandName} --help`)}\` for its flags`
  }
  return undefined
}

function knownFlags(argsDef: ArgsDef): Set<string> {
  const known = new Set(BUILTIN_FLAGS)
  for (const [name, def] of Object.entries(argsDef)) {
    const names = [name, toKebab(name), ...aliases(def)]
    for (const n of names) {
      known.add(n)
      if (def.type === 'boolean')
        known.add(`no-${n}`)
    }
  }
  return known
}

/** True when `flag` takes the next word as its value (`--workers a,b`). */
function takesValue(flag: string | undefined, argsDef: ArgsDef): boolean {
  if (!flag?.startsWith('-') || flag.includes('='))
    return false
  const name = flag.replace(/^-{1,2}/, '')
  return Object.entries(argsDef).some(([key, def]) =>
    (def.type === 'string' || def.type === 'enum') && (key === name || toKebab(key) === name || aliases(def).includes(name)))
}

function aliases(def: ArgDef): string[] {
  return 'alias' in def ? [def.alias ?? []].flat() : []
}

function toKebab(name: string): string {
  return name.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)
}
