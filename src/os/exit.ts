// process.exit, bound once: the one way the CLI ends its process (see commands/run-cli.ts).

/**
 * The process's own exit, as it was when bun-pm started: the entry point exits through this, so
 * that nothing a config does to `process.exit` (see load-workspace.ts) can stand in its way.
 */
export const exitProcess: (code?: number) => never = process.exit.bind(process)
