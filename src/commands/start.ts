// `start`: the citty command; the deploy itself is src/start/run-start.ts.

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { WorkspaceError } from '../errors.ts'
import { runStart } from '../start/run-start.ts'
import { depsArg, envArg, selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: {
    name: 'start',
    description: 'Start the selected workers (default: group primary) on the PM2 daemon and return once they are up',
  },
  args: {
    ...selectionArgs,
    ...depsArg,
    ...envArg,
    attach: { type: 'boolean', description: 'Stay in the foreground with the logs; SIGTERM/Ctrl-C stops the workers (for containers and systemd)' },
    json: { type: 'boolean', description: 'Print the result as JSON' },
    'dry-run': { type: 'boolean', description: 'Say what a start would do to each worker (keep, start, replace and how, remove) and why; start or stop nothing' },
    timeout: { type: 'string', description: 'Seconds to wait for the workers to be up', default: '30', valueHint: 'seconds' },
  },
  plugins: [rejectUnknownFlags('start')],
  async run({ args }) {
    const seconds = Number(args.timeout)
    if (!(seconds > 0))
      throw new WorkspaceError(`--timeout=${args.timeout} is not a number of seconds; write e.g. --timeout=30`)
    if (args['dry-run'] && args.attach)
      throw new WorkspaceError('--dry-run starts nothing, so there is nothing to --attach to; drop one of them')
    process.exitCode = await runStart({ cwd: args.cwd, selection: toSelection(args), env: args.env, attach: Boolean(args.attach), json: Boolean(args.json), timeoutMs: seconds * 1000, dryRun: Boolean(args['dry-run']) })
  },
})
