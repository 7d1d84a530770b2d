// `explain`: what `start` or `dev` would hand PM2, where each value came from; starts nothing.

import { defineCommand } from 'citty'
import { formatPlan, planToJson } from '../report/plan.ts'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import type { ExplainJson } from '../types/json.ts'
import type { Mode } from '../types/config.ts'
import { resolvePlan } from '../plan/resolve-plan.ts'
import { depsArg, envArg, jsonArg, selectionArgs, toSelection } from './_shared.ts'
import { pm2Rules } from '../pm2/schema.ts'

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
    const plan = await resolvePlan({ cwd: args.cwd, mode: args.mode as Mode, selection: toSelection(args), env: args.env, rules: pm2Rules() })
    const output: ExplainJson = planToJson(plan)
    console.log(args.json ? JSON.stringify(output, null, 2) : formatPlan(plan))
  },
})
