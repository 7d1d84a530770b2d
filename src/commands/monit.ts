// `monit`: a live, full-screen view of the workspace's units (start's daemon, or its dev session with --dev).

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { runMonit } from '../monit/run-monit.ts'
import { devArg, selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: { name: 'monit', description: 'Watch the workspace live, full-screen: each unit\'s status, health, CPU, memory, restarts and output; restart or stop one with a key' },
  args: {
    ...selectionArgs,
    ...devArg,
  },
  plugins: [rejectUnknownFlags('monit')],
  async run({ args }) {
    process.exitCode = await runMonit({ cwd: args.cwd, selection: toSelection(args), dev: Boolean(args.dev) })
  },
})
