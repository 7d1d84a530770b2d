// `status`: the table, from the daemon that runs the workspace. Light to load: start's daemon is
// asked for its list first, and the config's modules (c12 and the rest) are imported while it answers.

import type { Selection } from '../types/config.ts'
import { daemonRunning, userPm2Home } from '../pm2/home.ts'
import { closeLight } from '../pm2/light-client.ts'
import { requireSupportedPlatform } from '../os/platform.ts'
import { askList, listOf } from './listing.ts'
import { trace } from '../trace.ts'

/**
 * `status`: the table, from the daemon that runs the workspace (`start`'s, else its dev session's;
 * `dev` for the session only); every worker `not running` when nothing runs it.
 */
export async function runStatus({ cwd, selection, json, dev }: { cwd?: string, selection: Selection, json: boolean, dev: boolean }): Promise<number> {
  requireSupportedPlatform('status')
  const listed = dev ? undefined : await askList(userPm2Home())
  const [{ resolveTarget }, { printStatus }] = await Promise.all([import('./target.ts'), import('./print-status.ts')])
  const target = await resolveTarget('status', cwd, selection, { forceDev: dev, ifNone: 'start', listed })
  if (!daemonRunning(target.home)) {
    printStatus([], target, json)
    return 0
  }
  trace('target resolved')
  const procs = await listOf(target.home, listed)
  trace(`pm2 listed ${procs.length} processes`)
  printStatus(procs, target, json)
  trace('status printed')
  closeLight(target.home)
  if (listed)
    closeLight(listed.home)
  return 0
}
