// `stop`: the selected workers deleted from PM2, dependents first.

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { runStop } from '../start/run-stop.ts'
import { jsonArg, selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: { name: 'stop', description: 'Stop the selected workers, or the whole workspace when none is selected' },
  args: { ...selectionArgs, ...jsonArg },
  plugins: [rejectUnknownFlags('stop')],
  async run({ args }) {
    process.exitCode = await runStop({ cwd: args.cwd, selection: toSelection(args), json: Boolean(args.json) })
  },
})
