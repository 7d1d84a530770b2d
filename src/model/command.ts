// A cmd worker's command as it is run: the program and its arguments. Pure.

/** What runs a `cmd` command line: Procfile lines run under a POSIX shell, as Foreman and Overmind run them. */
export const SHELL = '/bin/sh'

/** Options that belong to an interpreter, never to a cmd worker (its command is `cmd` alone). */
export const NOT_FOR_CMD = ['interpreter', 'args', 'interpreter_args', 'node_args'] as const

/** The words a cmd worker runs: an array as it is, a command line as `/bin/sh -c '<line>'`. */
export function commandWords(cmd: string | string[]): [string, ...string[]] {
  if (typeof cmd === 'string')
    return [SHELL, '-c', cmd]
  const [program = '', ...args] = cmd
  return [program, ...args]
}

/** A program given as a path (`./bin/server`, `/usr/bin/redis-server`), not a name to look up. */
export function isProgramPath(program: string): boolean {
  return program.includes('/')
}

/** A command as a user would type it: words with a space or a quote in single quotes. */
export function formatCommand(words: string[]): string {
  return words.map(word => word !== '' && /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`).join(' ')
}
