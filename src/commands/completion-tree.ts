// `completion`: the CLI's command tree as completion needs it (commands, their flags and what
// each flag's value completes with), read from citty's definitions.

import type { ArgDef, ArgsDef, CommandDef, CommandMeta } from 'citty'

/** What a flag's value is completed with: worker or group names (from the workspace), folders, files, fixed words, or nothing. */
export type ValueKind = { kind: 'workers' | 'groups' | 'dir' | 'file' | 'any' } | { kind: 'words', words: string[] }

export interface CompletionFlag {
  /** As typed, without the dashes: `workers`, `no-deps`. */
  name: string
  description: string
  /** Undefined for a switch. */
  value?: ValueKind
}

export interface CompletionCommand {
  name: string
  aliases: string[]
  description: string
  flags: CompletionFlag[]
  /** Words its positional argument takes (`completion`'s shells). */
  positional: string[]
}

/** The CLI as completion sees it: its name and its visible commands, each with its flags. */
export interface CompletionTree {
  name: string
  commands: CompletionCommand[]
}

/** The hidden command the scripts call for worker and group names. */
export const NAMES_COMMAND = '__complete'

/** citty's definitions as a completion tree: every visible subcommand (each module is loaded) and its flags. */
export async function describeTree(root: CommandDef<ArgsDef>, positional: Record<string, readonly string[]> = {}): Promise<CompletionTree> {
  const meta = await resolve(root.meta)
  const subCommands = (await resolve(root.subCommands)) ?? {}
  const commands: CompletionCommand[] = []
  for (const [name, entry] of Object.entries(subCommands)) {
    const sub = await resolve(entry as CommandDef<ArgsDef>)
    const subMeta: CommandMeta = (await resolve(sub.meta)) ?? {}
    if (subMeta.hidden)
      continue
    const args: ArgsDef = (await resolve(sub.args)) ?? {}
    commands.push({
      name,
      aliases: [subMeta.alias ?? []].flat(),
      description: subMeta.description ?? '',
      flags: Object.entries(args).flatMap(([key, def]) => toFlags(key, def)),
      positional: [...positional[name] ?? []],
    })
  }
  return { name: meta?.name ?? 'bun-pm', commands }
}

async function resolve<T>(value: T | Promise<T> | (() => T | Promise<T>)): Promise<T> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : await value
}

function toFlags(key: string, def: ArgDef): CompletionFlag[] {
  if (def.type === 'positional')
    return []
  const name = key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)
  const description = def.description ?? ''
  if (def.type === 'boolean' || def.type === undefined)
    return def.default === true ? [{ name, description }, { name: `no-${name}`, description: `Not --${name}` }] : [{ name, description }]
  return [{ name, description, value: valueKind(name, def) }]
}

function valueKind(name: string, def: ArgDef): ValueKind {
  if (def.type === 'enum')
    return { kind: 'words', words: [...def.options ?? []] }
  if (name === 'workers')
    return { kind: 'workers' }
  if (name === 'group')
    return { kind: 'groups' }
  if (def.valueHint === 'dir')
    return { kind: 'dir' }
  if (def.valueHint === 'path' || def.valueHint === 'file')
    return { kind: 'file' }
  return { kind: 'any' }
}
