// process.exit, bound once: the one way the CLI ends its process (see commands/run-cli.ts).

/**
 * The process's own exit, as it was when bun-pm started: the entry point exits through this, so
 * that nothing a config does to `process.exit` (see config/import-config.ts) can stand in its way.
 */
export const exitProcess: (code?: number) => never = process.exit.bind(process)

/** Whether `error` says the reader of a pipe went away (`bun-pm logs | head`): the command is done, as `cat` would be. */
export function isClosedPipe(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'EPIPE'
}
