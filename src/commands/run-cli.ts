// Runs the CLI and owns the exit: a user's mistake is one line and exit 1, a bug keeps its stack.

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { type ArgsDef, type CommandDef, renderUsage, runCommand } from 'citty'
import { useColor } from '../report/log-printer.ts'
import { faultDetails, faultLine, isMistake, mistakeLine } from './error-lines.ts'
import { exitProcess, isClosedPipe } from '../os/exit.ts'
import { userCacheDir } from '../os/files.ts'

/**
 * Runs the CLI and owns the process's exit: a user mistake is one line on stderr and exit 1, a bug
 * keeps its stack. Commands set `process.exitCode` (citty does not pass a subcommand's result up)
 * instead of exiting themselves.
 */
export async function runCli(main: CommandDef<ArgsDef>, rawArgs = process.argv.slice(2)): Promise<never> {
  process.stdout.on('error', (error) => {
    if (isClosedPipe(error))
      exitProcess(0)
    throw error
  })
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
    if (isClosedPipe(error))
      exitProcess(0)
    console.error(isMistake(error) ? mistakeLine(error, await commandNames(main)) : faultLine(error, writeDetails(error, rawArgs)))
    exitProcess(1)
  }
}

/** A fault's stack goes to a file only the user can read; its path, or undefined if it could not be written. */
function writeDetails(error: unknown, rawArgs: string[]): string | undefined {
  try {
    const dir = join(userCacheDir(), 'errors')
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`)
    writeFileSync(file, faultDetails(error, rawArgs), { mode: 0o600 })
    return file
  }
  catch {
    return undefined
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

/** The names of the CLI's commands (not the internal `__complete` the completion scripts call). */
async function commandNames(main: CommandDef<ArgsDef>): Promise<string[]> {
  const subCommands = typeof main.subCommands === 'function' ? await main.subCommands() : await main.subCommands
  return Object.keys(subCommands ?? {}).filter(name => !name.startsWith('__'))
}
