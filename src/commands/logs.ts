// `logs`: the workers' last lines, then their output as it comes.

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { WorkspaceError } from '../errors.ts'
import { runLogs } from '../start/run-logs.ts'
import { selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: { name: 'logs', description: 'Print the recent lines of the selected workers, then follow them (Ctrl-C to stop)' },
  args: {
    ...selectionArgs,
    lines: { type: 'string', description: 'How many recent lines per worker and stream', default: '20', valueHint: 'n' },
  },
  plugins: [rejectUnknownFlags('logs')],
  async run({ args }) {
    const lines = Number(args.lines)
    if (!Number.isInteger(lines) || lines < 0)
      throw new WorkspaceError(`--lines=${args.lines} is not a number of lines; write e.g. --lines=50`)
    process.exitCode = await runLogs({ cwd: args.cwd, selection: toSelection(args), lines })
  },
})
