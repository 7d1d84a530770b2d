// Runs the CLI and owns the exit: a user's mistake is one line and exit 1, a bug keeps its stack.

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { type ArgsDef, type CommandDef, renderUsage, runCommand } from 'citty'
import { useColor } from '../report/log-printer.ts'
import { isUserError } from '../errors.ts'
import { exitProcess } from '../os/exit.ts'
import { userCacheDir } from '../os/files.ts'
import { didYouMean } from '../model/suggest.ts'

/**
 * Runs the CLI and owns the process's exit: a user mistake is one line on stderr and exit 1, a bug
 * keeps its stack. Commands set `process.exitCode` (citty does not pass a subcommand's result up)
 * instead of exiting themselves.
 */
export async function runCli(main: CommandDef<ArgsDef>, rawArgs = process.argv.slice(2)): Promise<never> {
  try {
    if (rawArgs[0] === '--version' || rawArgs[0] === '-v') {
      const meta = typeof main.meta === 'function' ? await main.meta() : await main.meta
      console.log(meta?.version ?? '')
      exitProcess(0)
    }
    if (rawArgs.length === 0 || rawArgs.includes('--help') || rawArgs.includes('-h')) {
      // citty colours its usage unless NO_COLOR is 1: a pipe or a file gets it plain.
      const usage = await renderUsage(...await findCommand(main, rawArgs))
      console.log(`${useColor() ? usage : stripVTControlCharacters(usage)}\n`)
      exitProcess(rawArgs.length === 0 ? 1 : 0)
    }
    await runCommand(main, { rawArgs })
    exitProcess(Number(process.exitCode ?? 0))
  }
  catch (error) {
    if (isUserError(error) || isCittyError(error))
      console.error(`error: ${stripVTControlCharacters((error as Error).message)}${await commandHint(main, error)}`)
    else
      console.error(describeBug(error, rawArgs))
    exitProcess(1)
  }
}

/**
 * Anything else is a fault of bun-pm's, or of what it runs on (PM2 not answering, say): one line
 * that says so and where the details are — the stack goes to a file only the user can read.
 */
function describeBug(error: unknown, rawArgs: string[]): string {
  const message = error instanceof Error ? error.message : String(error)
  const first = stripVTControlCharacters(message.split('\n')[0] ?? '')
  try {
    const dir = join(userCacheDir(), 'errors')
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`)
    const details = error instanceof Error ? `${error.stack ?? message}${error.cause ? `\ncause: ${(error.cause as Error).stack ?? String(error.cause)}` : ''}` : message
    writeFileSync(file, `bun-pm ${rawArgs.join(' ')}\n${details}\n`, { mode: 0o600 })
    return `error: ${first} (not a mistake in your config: bun-pm or PM2 failed; the details are in ${file})`
  }
  catch {
    return `error: ${first} (not a mistake in your config: bun-pm or PM2 failed)`
  }
}

/** The subcommand `rawArgs` names, with its parent, for `--help`. */
async function findCommand(main: CommandDef<ArgsDef>, rawArgs: string[]): Promise<[CommandDef<ArgsDef>, CommandDef<ArgsDef>?]> {
  const name = rawArgs.find(arg => !arg.startsWith('-'))
  const subCommands = typeof main.subCommands === 'function' ? await main.subCommands() : await main.subCommands
  if (!name || !subCommands)
    return [main]
  // By name, or by an alias in the subcommand's meta (`ls` for `status`), as citty resolves them.
  for (const [key, entry] of Object.entries(subCommands)) {
    const sub = (typeof entry === 'function' ? await entry() : await entry) as CommandDef<ArgsDef>
    const meta = typeof sub.meta === 'function' ? await sub.meta() : await sub.meta
    if (key === name || [meta?.alias ?? []].flat().includes(name))
      return [sub, main]
  }
  return [main]
}

/** After "Unknown command", the commands there are. */
async function commandHint(main: CommandDef<ArgsDef>, error: unknown): Promise<string> {
  if ((error as { code?: string }).code !== 'E_UNKNOWN_COMMAND')
    return ''
  const subCommands = typeof main.subCommands === 'function' ? await main.subCommands() : await main.subCommands
  const names = Object.keys(subCommands ?? {})
  const typed = /Unknown command `?([^`\s;]+)`?/i.exec(stripVTControlCharacters((error as Error).message))?.[1]
  return `${typed ? didYouMean(typed, names) : ''}; the commands are ${names.join(', ')}`
}

/** citty's own usage errors (unknown command), which say what is wrong already. */
function isCittyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'CLIError'
}
