// `delete` (alias `del`, PM2's words): the selected workers stopped and removed from PM2's list.

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { runDelete } from '../start/run-stop.ts'
import { jsonArg, selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: { name: 'delete', alias: 'del', description: 'Stop the selected workers and remove them from PM2\'s list; with none selected, every process of the workspace, its health agent too' },
  args: { ...selectionArgs, ...jsonArg },
  plugins: [rejectUnknownFlags('delete')],
  async run({ args }) {
    process.exitCode = await runDelete({ cwd: args.cwd, selection: toSelection(args), json: Boolean(args.json) })
  },
})
