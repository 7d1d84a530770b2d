#!/usr/bin/env -S bun --no-env-file
// The CLI's entry: every subcommand, and the one place the process's exit is decided (run-cli.ts).
import { type ArgsDef, type CommandDef, defineCommand } from 'citty'
import { trace } from '../trace.ts'
import { runCli } from './run-cli.ts'
import pkg from '../../package.json' with { type: 'json' }

/** The command tree (typed: `completion` reads this very tree; the unit tests read it too). */
export const main: CommandDef<ArgsDef> = defineCommand({
  meta: {
    name: 'bun-pm',
    version: pkg.version,
    description: 'Run the workers of pm.config.ts under PM2: `dev` in the foreground, `start` on the daemon',
  },
  subCommands: {
    dev: () => import('./dev.ts').then(m => m.default),
    start: () => import('./start.ts').then(m => m.default),
    status: () => import('./status.ts').then(m => m.default),
    logs: () => import('./logs.ts').then(m => m.default),
    stop: () => import('./stop.ts').then(m => m.default),
    delete: () => import('./delete.ts').then(m => m.default),
    restart: () => import('./restart.ts').then(m => m.default),
    run: () => import('./run.ts').then(m => m.default),
    monit: () => import('./monit.ts').then(m => m.default),
    explain: () => import('./explain.ts').then(m => m.default),
    init: () => import('./init.ts').then(m => m.default),
    export: () => import('./export.ts').then(m => m.default),
    startup: () => import('./startup.ts').then(m => m.default),
    unstartup: () => import('./startup.ts').then(m => m.unstartup),
    completion: () => import('./completion.ts').then(m => m.completionCommand(() => main)),
    __complete: () => import('./completion.ts').then(m => m.namesCommand),
  },
})

// Run as the CLI, not when a test imports the tree.
if (import.meta.main) {
  trace('cli loaded')
  await runCli(main)
}
