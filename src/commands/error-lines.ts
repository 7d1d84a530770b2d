// What the CLI says when a command fails: the user's mistake in one line (with the commands there
// are, after an unknown one), or a fault of bun-pm's said as such, pointing at its details. Pure.

import { stripVTControlCharacters } from 'node:util'
import { isUserError } from '../errors.ts'
import { didYouMean } from '../model/suggest.ts'

/** A mistake of the user's (bun-pm's WorkspaceError, citty's usage errors), or anything else: a fault. */
export function isMistake(error: unknown): boolean {
  return isUserError(error) || (error instanceof Error && error.name === 'CLIError')
}

/** The one line for a mistake; after "Unknown command", the closest name and the commands there are. */
export function mistakeLine(error: unknown, commands: readonly string[]): string {
  const message = stripVTControlCharacters((error as Error).message)
  if ((error as { code?: string }).code !== 'E_UNKNOWN_COMMAND')
    return `error: ${message}`
  const typed = /Unknown command `?([^`\s;]+)`?/i.exec(message)?.[1]
  return `error: ${message}${typed ? didYouMean(typed, commands) : ''}; the commands are ${commands.join(', ')}`
}

/** The one line for a fault: its first line, that it is not the config's, and where the stack went. */
export function faultLine(error: unknown, detailsFile: string | undefined): string {
  const message = error instanceof Error ? error.message : String(error)
  const first = stripVTControlCharacters(message.split('\n')[0] ?? '')
  return `error: ${first} (not a mistake in your config: bun-pm or PM2 failed${detailsFile ? `; the details are in ${detailsFile}` : ''})`
}

/** What the details file of a fault holds: the command, the stack, and its cause's. */
export function faultDetails(error: unknown, rawArgs: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error)
  const details = error instanceof Error ? `${error.stack ?? message}${error.cause ? `\ncause: ${(error.cause as Error).stack ?? String(error.cause)}` : ''}` : message
  return `bun-pm ${rawArgs.join(' ')}\n${details}\n`
}
