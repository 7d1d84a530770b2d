// `logs`: the workers' lines from their log files (filtered by time or pattern), then their output as it comes.

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { WorkspaceError } from '../errors.ts'
import { parseSince } from '../model/log-lines.ts'
import { parseGrep } from '../report/log-query.ts'
import { runLogs } from '../start/run-logs.ts'
import { devArg, selectionArgs, toSelection } from './_shared.ts'

/** How many lines of each stream `logs` prints unless told. */
const DEFAULT_LINES = 20

export default defineCommand({
  meta: { name: 'logs', description: 'Print the selected workers\' lines from their log files (on the PM2 daemon, or on the dev session when only that runs the workspace), then follow them (Ctrl-C to stop)' },
  args: {
    ...selectionArgs,
    ...devArg,
    lines: { type: 'string', description: 'How many lines per worker and stream (after --since and --grep); default 20, or all with --since', valueHint: 'n' },
    since: { type: 'string', description: 'Only lines written since: a length of time back (90s, 10m, 2h, 1d) or a moment (2026-12-03T10:00)', valueHint: 'when' },
    grep: { type: 'string', description: 'Only lines that match this regular expression (/…/i for flags); the followed lines too', valueHint: 'pattern' },
    follow: { type: 'boolean', description: 'Follow new lines after the logged ones (--no-follow: print and exit)', default: true },
    json: { type: 'boolean', description: 'One JSON object a line: time, worker, unit, stream, text' },
  },
  plugins: [rejectUnknownFlags('logs')],
  async run({ args }) {
    const lines = args.lines === undefined ? (args.since === undefined ? DEFAULT_LINES : Number.MAX_SAFE_INTEGER) : Number(args.lines)
    if (!Number.isInteger(lines) || lines < 0)
      throw new WorkspaceError(`--lines=${args.lines} is not a number of lines; write e.g. --lines=50`)
    const since = args.since === undefined ? undefined : parseSince(String(args.since), Date.now())
    if (args.since !== undefined && since === undefined)
      throw new WorkspaceError(`--since=${args.since} is neither a length of time nor a moment; write e.g. --since=10m, --since=2h or --since=2026-12-03T10:00`)
    const grep = args.grep === undefined ? undefined : parseGrep(String(args.grep))
    if (typeof grep === 'string')
      throw new WorkspaceError(grep)
    const query = { lines, ...(since !== undefined && { since }), ...(grep && { grep }) }
    process.exitCode = await runLogs({ cwd: args.cwd, selection: toSelection(args), query, follow: args.follow !== false, json: Boolean(args.json), dev: Boolean(args.dev) })
  },
})
