import { defineCommand } from 'citty'
import { formatPlan, planToJson } from '../cli/format-plan.ts'
import { rejectUnknownFlags } from '../cli/reject-unknown-flags.ts'
import type { ExplainJson } from '../json-output.ts'
import type { Mode } from '../types.ts'
import { resolvePlan } from '../workspace/resolve-plan.ts'
import { depsArg, envArg, jsonArg, selectionArgs, toSelection } from './_shared.ts'

export default defineCommand({
  meta: {
    name: 'explain',
    description: 'Print what dev or start would hand to PM2 for a selection, without starting anything',
  },
  args: {
    ...selectionArgs,
    ...depsArg,
    ...envArg,
    mode: {
      type: 'enum',
      options: ['dev', 'start'],
      default: 'dev',
      description: 'Which rules apply: dev (default selection: every activated worker) or start (group primary)',
    },
    ...jsonArg,
  },
  plugins: [rejectUnknownFlags('explain')],
  async run({ args }) {
    const plan = await resolvePlan({ cwd: args.cwd, mode: args.mode as Mode, selection: toSelection(args), env: args.env })
    const output: ExplainJson = planToJson(plan)
    console.log(args.json ? JSON.stringify(output, null, 2) : formatPlan(plan))
  },
})
