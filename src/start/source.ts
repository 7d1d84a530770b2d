// Which daemon `status`, `logs` and `monit` show: `start`'s, or the private one of this
// workspace's `dev` session (only a session whose file is the user's own). The facts are read
// here; the rule is `chooseSource`, below, and pure.
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { bunPm } from '../invocation.ts'
import { devHome, readSession } from '../dev/session.ts'
import { daemonRunning, userPm2Home } from '../pm2/home.ts'
import { type Listing, listOf } from './listing.ts'

/** The workspace's dev session of this user, when its session file is theirs and its daemon runs. */
export function devSessionOf(root: string): { home: string, launcherPid: number } | undefined {
  const home = devHome(root)
  const session = readSession(home)
  return session && ownedByMe(join(home, 'session.json')) && daemonRunning(home) ? { home, launcherPid: session.launcherPid } : undefined
}

/** The daemon to show for the workspace of `root` and `namespace` (see chooseSource); `forceDev` for `--dev`; `listed`: a list asked for already. */
export async function findSource({ root, namespace }: { root: string, namespace: string }, forceDev: boolean, listed?: Listing): Promise<Source | { error: string }> {
  const startHome = userPm2Home()
  const running = !forceDev && daemonRunning(startHome)
  const dev = devSessionOf(root)
  // Whether start's daemon runs the workspace matters only beside a dev session: asked only then.
  let runsNamespace = false
  if (running && dev)
    runsNamespace = (await listOf(startHome, listed)).some(p => p.namespace === namespace)
  return chooseSource({ root, forceDev, start: { home: startHome, running, runsNamespace }, dev, command: bunPm })
}

function ownedByMe(path: string): boolean {
  try {
    return statSync(path).uid === process.getuid?.()
  }
  catch {
    return false
  }
}

// ---- The rule, pure ----

export interface SourceFacts {
  root: string
  /** `--dev`: the dev session, or nothing. */
  forceDev: boolean
  /** The user's PM2 home (`start`'s): whether its daemon runs, and runs processes of this namespace. */
  start: { home: string, running: boolean, runsNamespace: boolean }
  /** This workspace's dev session, when its session file is this user's and its daemon runs. */
  dev: { home: string, launcherPid: number } | undefined
  /** A bun-pm command as the user runs it (`start` -> `npx bun-pm start`), for the hints. */
  command: (command: string) => string
}

export type Source =
  | { kind: 'start', home: string }
  | { kind: 'dev', home: string, launcherPid: number }

/**
 * `start`'s daemon when it runs this workspace's namespace, else the dev session, else `start`'s
 * daemon running other things (every unit `not running`); `--dev` takes the dev session only.
 * An error, in words, when there is nothing to show.
 */
export function chooseSource({ root, forceDev, start, dev, command }: SourceFacts): Source | { error: string } {
  if (forceDev) {
    return dev
      ? { kind: 'dev', home: dev.home, launcherPid: dev.launcherPid }
      : { error: `--dev: no \`dev\` session of yours runs ${root}; start one with \`${command('dev')}\`, or leave out --dev for \`start\`'s daemon` }
  }
  if (start.running && start.runsNamespace)
    return { kind: 'start', home: start.home }
  if (dev)
    return { kind: 'dev', home: dev.home, launcherPid: dev.launcherPid }
  if (start.running)
    return { kind: 'start', home: start.home }
  return { error: `nothing runs ${root}: no PM2 daemon runs for ${start.home} and no \`dev\` session of yours runs here; start it with \`${command('start')}\` or \`${command('dev')}\` (or set PM2_HOME to the home of the daemon that runs it)` }
}

/** Where the units shown run, in a few words: `start's daemon (PM2_HOME=…)` or `dev session (pid …, its own daemon)`. */
export function describeSource(source: Source): string {
  return source.kind === 'start' ? `start's daemon (PM2_HOME=${source.home})` : `dev session (pid ${source.launcherPid}, its own daemon)`
}
