// `monit`: the workspace's units live and full-screen, on start's daemon or on its dev session's,
// until `q`; quitting leaves every worker as it is.
import { format } from 'node:util'
import { WorkspaceError } from '../errors.ts'
import { loadWorkspace } from '../config/load.ts'
import { bunPm } from '../invocation.ts'
import { requireSupportedPlatform } from '../os/platform.ts'
import { departedTargets, selectTargets } from '../plan/select.ts'
import { connectLight } from '../pm2/light-client.ts'
import { pm2Rules } from '../pm2/schema.ts'
import { useColor } from '../report/log-printer.ts'
import type { Selection } from '../types/config.ts'
import { actionsFor } from './actions.ts'
import { watchLive } from './live.ts'
import { findSource } from '../start/source.ts'

const noTerminal = () => `\`${bunPm('monit')}\` draws a live screen and needs a terminal; without one, use \`${bunPm('status --json')}\` (the units now) or \`${bunPm('logs')}\` (their output)`

export async function runMonit({ cwd, selection, dev }: { cwd?: string, selection: Selection, dev: boolean }): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY)
    throw new WorkspaceError(noTerminal())
  requireSupportedPlatform('monit')
  const rules = pm2Rules()
  const workspace = await loadWorkspace({ cwd, mode: 'start', rules })
  const source = await findSource(workspace, dev)
  if ('error' in source)
    throw new WorkspaceError(source.error)
  // A dev session runs the workers as `dev` loads them (its $development overrides: replicas too).
  const shown = source.kind === 'dev' ? await loadWorkspace({ cwd, mode: 'dev', rules }) : workspace
  const client = await connectLight(source.home)
  const bus = await client.launchBus()
  const running = (await client.list()).filter(p => p.namespace === shown.namespace).map(p => p.name)
  const target = {
    workspace: shown,
    workers: selectTargets(shown, selection, running),
    departed: departedTargets(shown, selection, running),
    everything: !selection.workers && !selection.groups,
    home: source.home,
    source,
  }
  const live = watchLive({ client, bus, target })
  const actions = actionsFor({ source, cwd, client, bus, procs: live.procs })

  // Ink draws only a last frame where it takes itself to be in CI (its is-in-ci reads CI when
  // imported); monit runs at a terminal, so it is not. The environment is as it was afterwards.
  // React's development build (chosen by NODE_ENV when imported) is slower and larger.
  const ci = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION, NODE_ENV: process.env.NODE_ENV }
  delete process.env.CI
  delete process.env.CONTINUOUS_INTEGRATION
  process.env.NODE_ENV = 'production'
  const [{ render }, { createElement }, { MonitApp }] = await Promise.all([import('ink'), import('react'), import('./app.ts')])
  for (const [key, value] of Object.entries(ci)) {
    if (value !== undefined)
      process.env[key] = value
    else
      delete process.env[key]
  }
  // What PM2's client or anything else would print goes to the message line, not across the screen.
  const consoleWas = { log: console.log, info: console.info, warn: console.warn, error: console.error }
  for (const name of Object.keys(consoleWas) as (keyof typeof consoleWas)[])
    console[name] = (...args: unknown[]) => live.note(format(...args).split('\n')[0]!)
  // The terminal's alternate screen, as full-screen programs use: the shell's screen comes back at the end.
  process.stdout.write('\x1B[?1049h')
  const app = render(createElement(MonitApp, { live, actions, source, namespace: shown.namespace, color: useColor(process.stdout) }), {
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 4,
  })
  const onSignal = () => app.unmount()
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(signal, onSignal)
  try {
    await app.waitUntilExit()
  }
  finally {
    live.close()
    client.disconnect()
    Object.assign(console, consoleWas)
    process.stdout.write('\x1B[?1049l')
  }
  return 0
}
