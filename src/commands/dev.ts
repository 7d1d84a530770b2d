// `dev`: the citty command; the session itself is src/dev/run-dev.ts.

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { runDev } from '../dev/run-dev.ts'
import { depsArg, envArg, selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: {
    name: 'dev',
    description: 'Run the selected workers (default: every activated one) in the foreground with their logs; Ctrl-C stops them all',
  },
  args: {
    ...selectionArgs,
    ...depsArg,
    ...envArg,
    json: { type: 'boolean', description: 'One JSON object a line: bun-pm\'s events ({ time, event, worker, unit, pid, reason, text }) and the workers\' lines ({ time, worker, unit, stream, text })' },
  },
  plugins: [rejectUnknownFlags('dev')],
  async run({ args }) {
    process.exitCode = await runDev({ cwd: args.cwd, selection: toSelection(args), env: args.env, json: Boolean(args.json) })
  },
})
