// `startup` and `unstartup`: the citty commands; the unit is src/export/startup-unit.ts, its writing src/export/run-startup.ts.

import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { runStartup, runUnstartup } from '../export/run-startup.ts'
import { depsArg, envArg, selectionArgs, toSelection } from './_shared.ts'

const userArg = {
  user: { type: 'boolean', description: 'A user unit (~/.config/systemd/user, started at login or, with lingering, at boot) instead of a system unit (/etc/systemd/system)' },
} as const

export default defineCommand({
  meta: { name: 'startup', description: 'Print (or with --install write and enable) the systemd unit that runs `start --attach` for the workspace at boot' },
  args: {
    ...userArg,
    install: { type: 'boolean', description: 'Write the unit where systemd reads it, then `systemctl daemon-reload` and `systemctl enable --now` it' },
    out: { type: 'string', description: 'Write the unit to this file instead of printing it', valueHint: 'path' },
    ...selectionArgs,
    ...depsArg,
    ...envArg,
  },
  plugins: [rejectUnknownFlags('startup')],
  async run({ args }) {
    process.exitCode = await runStartup({ cwd: args.cwd, scope: args.user ? 'user' : 'system', install: Boolean(args.install), out: args.out, selection: toSelection(args), env: args.env })
  },
})

export const unstartup = defineCommand({
  meta: { name: 'unstartup', description: 'Disable, stop and remove the systemd unit `startup --install` wrote for the workspace' },
  args: {
    ...userArg,
    cwd: selectionArgs.cwd,
  },
  plugins: [rejectUnknownFlags('unstartup')],
  async run({ args }) {
    process.exitCode = await runUnstartup({ cwd: args.cwd, scope: args.user ? 'user' : 'system' })
  },
})
