// `status` (alias `ls`): each unit's process and health, from PM2 and the health agent.

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { runStatus } from '../start/run-status.ts'
import { devArg, jsonArg, selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: { name: 'status', alias: 'ls', description: 'Show the workspace\'s workers on the PM2 daemon (or on its dev session, when only that runs it): pid, status, health, memory, restarts, uptime' },
  args: { ...selectionArgs, ...jsonArg, ...devArg },
  plugins: [rejectUnknownFlags('status')],
  async run({ args }) {
    process.exitCode = await runStatus({ cwd: args.cwd, selection: toSelection(args), json: Boolean(args.json), dev: Boolean(args.dev) })
  },
})
