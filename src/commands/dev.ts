import { defineCommand } from 'citty'
import { rejectUnknownFlags } from '../cli/reject-unknown-flags.ts'
import { resolvePlan } from '../workspace/resolve-plan.ts'
import { selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: {
    name: 'dev',
    description: 'Run the selected workers in the foreground with their logs; Ctrl-C stops them all',
  },
  args: { ...selectionArgs },
  plugins: [rejectUnknownFlags('dev')],
  async run({ args }) {
    const plan = await resolvePlan({ cwd: args.cwd, mode: 'dev', selection: toSelection(args) })
    throw new Error(`dev is not implemented yet (planned ${plan.workers.length} workers)`)
  },
})
