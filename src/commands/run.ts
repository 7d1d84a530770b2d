// `run -- <command>`: the citty command; the run itself is src/run/run-command.ts.

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { WorkspaceError } from '../errors.ts'
import { runCommand } from '../run/run-command.ts'
import { depsArg, envArg, selectionArgs, toSelection } from './_shared.ts'
import { bunPm } from '../invocation.ts'

export default defineCommand({
  meta: {
    name: 'run',
    description: 'Start the selection on a private PM2 daemon, run a command once every worker is ready (their addresses in BUN_PM_URL_<NAME>), then stop everything: bun-pm run -- bun test',
  },
  args: {
    ...selectionArgs,
    ...depsArg,
    ...envArg,
    timeout: { type: 'string', description: 'Seconds to wait for the workers to be up', default: '30', valueHint: 'seconds' },
    logs: { type: 'boolean', description: 'Show the workers\' lines while the command runs too (on stderr)' },
    strict: { type: 'boolean', description: 'Fail (exit 1) when a worker crashes while the command runs, even if the command succeeds' },
  },
  plugins: [rejectUnknownFlags('run')],
  async run({ args, rawArgs }) {
    const seconds = Number(args.timeout)
    if (!(seconds > 0))
      throw new WorkspaceError(`--timeout=${args.timeout} is not a number of seconds; write e.g. --timeout=30`)
    const split = rawArgs.indexOf('--')
    const command = split === -1 ? [] : rawArgs.slice(split + 1)
    if (command.length === 0)
      throw new WorkspaceError(`\`run\` needs the command to run after \`--\`: ${bunPm('run -- bun test')}`)
    process.exitCode = await runCommand({ cwd: args.cwd, selection: toSelection(args), env: args.env, timeoutMs: seconds * 1000, command, logs: Boolean(args.logs), strict: Boolean(args.strict) })
  },
})
