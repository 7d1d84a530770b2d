import { expect } from 'bun:test'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { devHome } from '../../src/dev/session.ts'
import { allPids, cmdlineOf, environOf, isAlive, pidsWithEnvironment } from '../../src/os/processes.ts'
import { BUN, childEnv, ENTRY, REPO } from './cli.ts'

export { freePort } from './net.ts'

export const FIXTURES = join(REPO, 'test/fixtures')
export const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8')

export interface DevRun {
  pid: number
  proc: ReturnType<typeof Bun.spawn>
  output: () => string
  /** Waits until the output (from `from` on) matches; returns the match. */
  waitFor: (pattern: RegExp, options?: { timeoutMs?: number, from?: number }) => Promise<RegExpMatchArray>
  exited: Promise<number>
}

const started = new Set<DevRun & { root: string }>()

/**
 * For afterEach: a test that failed half-way leaves its `dev` running. SIGKILL it (its watchdog then
 * ends the rest, as it would for a user) and check that the session is gone.
 */
export async function stopLeftoverRuns(): Promise<void> {
  for (const run of started) {
    if (isAlive(run.pid))
      run.proc.kill('SIGKILL')
    await run.exited
    await expectNothingLeft(run.root, run.pid)
  }
  started.clear()
}

/** Starts `dev` in `root` as a user would (`bun --watch ... dev` with `watch`), collecting its output. */
export function startDev(root: string, args: string[] = [], { watch = false, env = {}, viaShell = false }: { watch?: boolean, env?: Record<string, string>, viaShell?: boolean } = {}): DevRun {
  const flags = watch ? ['--watch', '--watch-kill-signal=SIGUSR2', '--no-clear-screen'] : []
  const command = [BUN, '--no-env-file', ...flags, ENTRY, 'dev', ...args]
  // `viaShell`: under a parent that dies of a SIGTERM without passing it on, as npx and `sh -c` do.
  const proc = Bun.spawn(viaShell ? ['sh', '-c', '"$0" "$@"; exit $?', ...command] : command, {
    cwd: root,
    env: childEnv({ NO_COLOR: '1', ...env }),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let text = ''
  const decoder = new TextDecoder()
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream)
      text += decoder.decode(chunk, { stream: true })
  }
  void pump(proc.stdout as ReadableStream<Uint8Array>)
  void pump(proc.stderr as ReadableStream<Uint8Array>)
  const run: DevRun & { root: string } = {
    root,
    pid: proc.pid,
    proc,
    output: () => text,
    async waitFor(pattern, { timeoutMs = 15_000, from = 0 } = {}) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const match = text.slice(from).match(pattern)
        if (match)
          return match
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${pattern}; output so far:\n${text}`)
        await Bun.sleep(20)
      }
    },
    exited: proc.exited,
  }
  started.add(run)
  return run
}

/** Processes of a dev session's PM2 home: the daemon and what it runs inherit PM2_HOME; the watchdog names it. */
function sessionProcesses(home: string): number[] {
  const carriers = new Set(pidsWithEnvironment([`PM2_HOME=${home}`]))
  return allPids().filter(pid => pid !== process.pid && (carriers.has(pid) || cmdlineOf(pid).includes(home)))
}

/** Pids of the workers (and their children) a dev session in `root` runs now; not its daemon, agent or watchdog. */
export function sessionWorkers(root: string): number[] {
  const home = devHome(root)
  return sessionProcesses(home).filter((pid) => {
    const environ = environOf(pid)
    return environ.some(entry => entry.startsWith('BUN_PM_DEV_SESSION=')) && !environ.some(entry => entry.startsWith('BUN_PM_AGENT='))
      && !/God Daemon|Daemon\.js/.test(cmdlineOf(pid))
  })
}

/** Every process left by a dev session in `root`: its daemon, workers, agent, watchdog, the launcher. */
export function leftovers(root: string, launcherPid?: number): number[] {
  const home = devHome(root)
  const ps = Bun.spawnSync(['ps', '-eo', 'pid=,args=']).stdout.toString().split('\n')
  const byArgs = ps.filter(line => line.includes(home) || line.includes(root)).map(line => Number.parseInt(line, 10))
  const pids = new Set([...sessionProcesses(home), ...byArgs])
  if (launcherPid && isAlive(launcherPid))
    pids.add(launcherPid)
  pids.delete(process.pid)
  return [...pids].filter(isAlive)
}

/** Waits (up to `timeoutMs`) until nothing of the session is left; fails the test if something is, and kills it. */
export async function expectNothingLeft(root: string, launcherPid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let left = leftovers(root, launcherPid)
  while (left.length > 0 && Date.now() < deadline) {
    await Bun.sleep(50)
    left = leftovers(root, launcherPid)
  }
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL')
    }
    catch {}
  }
  // dev keeps a session's logs after it ends (until the next dev of the workspace): a test's
  // workspace has no next dev, so its folder goes here, not into the user's cache for good.
  rmSync(devHome(root), { recursive: true, force: true })
  expect(left).toEqual([])
}

/** Ends a run with `signal` as a user would, and checks that nothing of the session is left; returns the exit code. */
export async function stopDev(run: DevRun, signal: NodeJS.Signals = 'SIGINT'): Promise<number> {
  run.proc.kill(signal)
  const code = await run.exited
  await expectNothingLeft((run as DevRun & { root: string }).root, run.pid)
  return code
}

/** The body served on `port`, or undefined when nothing answers. */
export async function fetchText(port: number): Promise<string | undefined> {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).text()
  }
  catch {
    return undefined
  }
}

/** Polls `port` until its body starts with `prefix` (up to `timeoutMs`); returns the last body. */
export async function fetchUntil(port: number, prefix: string, timeoutMs = 5000): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs
  let body = await fetchText(port)
  while (!body?.startsWith(prefix) && Date.now() < deadline) {
    await Bun.sleep(20)
    body = await fetchText(port)
  }
  return body
}

/** Pids of a session's workers by name, read from the launcher's "started (pid N)" lines (latest wins). */
export function workerPids(output: string): Map<string, number> {
  const pids = new Map<string, number>()
  for (const match of output.matchAll(/\| (\S+) (?:started|restarted) \(pid (\d+)\)/g))
    pids.set(match[1]!, Number(match[2]))
  return pids
}
