import { defineCommand } from 'citty'
import { rejectUnknownFlags } from '../cli/reject-unknown-flags.ts'
import { runRestart } from '../start/manage.ts'
import { jsonArg, selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: { name: 'restart', description: 'Restart the selected workers (or the whole workspace) with the current config and .env' },
  args: { ...selectionArgs, ...jsonArg },
  plugins: [rejectUnknownFlags('restart')],
  async run({ args }) {
    process.exitCode = await runRestart({ cwd: args.cwd, selection: toSelection(args), json: Boolean(args.json), timeoutMs: 30_000 })
  },
})
