// `restart` (alias `reload`): every selected worker replaced as a deploy replaces it (rolling where it can), whatever its version.

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { WorkspaceError } from '../errors.ts'
import { runRestart } from '../start/run-restart.ts'
import { jsonArg, selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: {
    name: 'restart',
    // PM2's word for a restart that drops nothing: here every restart is one.
    alias: 'reload',
    description: 'Replace the selected workers (or the whole workspace) with new processes of the current config and .env, unit by unit, each new one beside the old where its port allows',
  },
  args: {
    ...selectionArgs,
    ...jsonArg,
    timeout: { type: 'string', description: 'Seconds each new process has to be ready', default: '30', valueHint: 'seconds' },
  },
  plugins: [rejectUnknownFlags('restart')],
  async run({ args }) {
    const seconds = Number(args.timeout)
    if (!(seconds > 0))
      throw new WorkspaceError(`--timeout=${args.timeout} is not a number of seconds; write e.g. --timeout=30`)
    process.exitCode = await runRestart({ cwd: args.cwd, selection: toSelection(args), json: Boolean(args.json), timeoutMs: seconds * 1000 })
  },
})
