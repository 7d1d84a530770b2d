import { defineCommand } from 'citty'
import { rejectUnknownFlags } from '../cli/reject-unknown-flags.ts'
import { resolvePlan } from '../workspace/resolve-plan.ts'
import { selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: {
    name: 'start',
    description: 'Start the selected workers (default: group primary) on the PM2 daemon',
  },
  args: { ...selectionArgs },
  plugins: [rejectUnknownFlags('start')],
  async run({ args }) {
    const plan = await resolvePlan({ cwd: args.cwd, mode: 'start', selection: toSelection(args) })
    throw new Error(`start is not implemented yet (planned ${plan.workers.length} workers)`)
  },
})
