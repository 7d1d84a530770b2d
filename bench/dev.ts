// dev figures: save-to-new-code against `bun --watch` alone (and each part of the difference
// alone), and Ctrl-C until the last child is gone.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive } from '../src/os/processes.ts'
import { devHome, sessionPids } from '../src/dev/session.ts'
import { SCRIPT_KEY, WORKER_ENTRY } from '../src/plan/mode-options.ts'
import { ENTRY, freePort, median, REPO, serverSource, tempDir, waitForBody, write } from './lib.ts'

/** PM2's wrapper for a bun interpreter (lib/God/ForkMode.js picks it for a path ending in `bun`). */
const CONTAINER = join(REPO, 'node_modules/pm2/lib/ProcessContainerForkBun.js')
/** How long before each save nothing is saved: the last reload has settled. */
const PAUSE_MS = 200

/** Saves `file` with a new version and times until `port` serves it. */
async function timeEdit(file: string, port: number, version: string): Promise<number> {
  const started = performance.now()
  write(file, serverSource(version))
  await waitForBody(port, version)
  return performance.now() - started
}

/**
 * One way of running a server under `bun --watch`: its own folder, file and port. `stop` ends it
 * and everything it started.
 */
export interface Runner { file: string, port: number, stop: () => Promise<void> }

/**
 * `bun --watch` of `args` (the last one a file), spawned as PM2 spawns a fork-mode worker: its own
 * process group, an IPC channel, the extra environment in `env`.
 */
export function watched(dir: string, port: number, args: (file: string) => string[], env: (file: string) => Record<string, string> = () => ({})): Runner {
  const file = join(dir, 'server.ts')
  write(file, serverSource('v0'))
  const child: ChildProcess = spawn(process.execPath, ['--watch', '--no-clear-screen', ...args(file)], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), ...env(file) },
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  })
  // What the worker sends (the container's node_version, bun-pm's `loaded`) is read and dropped, as PM2 does.
  child.on('message', () => {})
  return {
    file,
    port,
    stop: async () => {
      const exited = new Promise(resolve => child.once('exit', resolve))
      try {
        process.kill(-child.pid!, 'SIGKILL')
      }
      catch {}
      await exited
    },
  }
}

/** `bun-pm dev` (the CLI at `cli`: this checkout's unless said) of a one-worker workspace whose worker is the server. */
export function underDev(dir: string, port: number, cli = ENTRY): Runner {
  const file = join(dir, 'server.ts')
  write(file, serverSource('v0'))
  write(join(dir, 'pm.config.ts'), `export default { workers: [{ name: 'server', bun: 'server.ts', options: { env: { PORT: '${port}' } } }] }\n`)
  const dev = Bun.spawn([process.execPath, '--no-env-file', cli, 'dev'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdout: 'ignore', stderr: 'ignore' })
  return {
    file,
    port,
    stop: async () => {
      dev.kill('SIGINT')
      await dev.exited
    },
  }
}

/**
 * The ways of running the server that a reload is timed under: `bun --watch` of the bare server,
 * then with each part that dev puts in front of it alone, both (what PM2's daemon runs, here
 * spawned as it spawns it, without PM2), and dev itself (PM2's daemon, dev's launcher).
 */
export const RELOAD_PARTS = {
  'bun --watch server.ts': (dir: string, port: number) => watched(dir, port, file => [file]),
  'PM2\'s bun container alone': (dir: string, port: number) => watched(dir, port, () => [CONTAINER], file => ({ pm_exec_path: file, pmx: 'false' })),
  'bun-pm\'s entry alone': (dir: string, port: number) => watched(dir, port, () => [WORKER_ENTRY], file => ({ [SCRIPT_KEY]: file })),
  'container + entry, no PM2': (dir: string, port: number) => watched(dir, port, () => [CONTAINER], file => ({ pm_exec_path: WORKER_ENTRY, pmx: 'false', [SCRIPT_KEY]: file })),
  'bun-pm dev': (dir: string, port: number) => underDev(dir, port),
} satisfies Record<string, (dir: string, port: number) => Runner>

export type ReloadPart = keyof typeof RELOAD_PARTS

/**
 * One run: each of `parts` started on its own folder and port, then `saves` rounds in which each
 * one's file is saved in turn (a pause before each save) and timed until its new code answers:
 * drift in the machine's load hits all alike. Medians per part.
 */
export async function reloadRun<P extends string>(makers: Record<P, (dir: string, port: number) => Runner>, saves: number): Promise<Record<P, number>> {
  const dir = tempDir('bun-pm-bench-reload-')
  const runners: Runner[] = []
  const parts = Object.keys(makers) as P[]
  try {
    for (const [i, part] of parts.entries()) {
      const folder = join(dir.path, String(i))
      mkdirSync(folder)
      runners.push(makers[part](folder, freePort()))
    }
    await Promise.all(runners.map(r => waitForBody(r.port, 'v0')))
    const times = runners.map(() => [] as number[])
    for (let i = 1; i <= saves; i++) {
      for (const [k, runner] of runners.entries()) {
        await Bun.sleep(PAUSE_MS)
        times[k]!.push(await timeEdit(runner.file, runner.port, `v${i}`))
      }
    }
    return Object.fromEntries(parts.map((part, k) => [part, median(times[k]!)])) as Record<P, number>
  }
  finally {
    await Promise.all(runners.map(r => r.stop()))
    dir.remove()
  }
}

export interface ReloadResult {
  /** Each run's medians: `bun --watch` alone and under dev, and their ratio. */
  runs: { bunWatch: number, dev: number, ratio: number }[]
  /** The median of the runs' ratios: the figure the target is about. */
  ratio: number
}

/**
 * `bun --watch server.ts` alone against the same server under `dev`: `runs` runs of `saves` saves
 * each, the two alternating within a run; the ratio of each run, and their median.
 */
export async function benchReload(saves = 100, runs = 3): Promise<ReloadResult> {
  const results: ReloadResult['runs'] = []
  for (let run = 0; run < runs; run++) {
    const medians = await reloadRun({ 'bun --watch server.ts': RELOAD_PARTS['bun --watch server.ts'], 'bun-pm dev': RELOAD_PARTS['bun-pm dev'] }, saves)
    const [bunWatch, dev] = [medians['bun --watch server.ts'], medians['bun-pm dev']]
    results.push({ bunWatch, dev, ratio: dev / bunWatch })
  }
  return { runs: results, ratio: median(results.map(r => r.ratio)) }
}

/** Each part of dev's reload path alone, in one run of `saves` rounds: medians per part. */
export function benchReloadParts(saves = 50): Promise<Record<ReloadPart, number>> {
  return reloadRun(RELOAD_PARTS, saves)
}

/** `dev` of `workers` one-line servers: time until all answer, then Ctrl-C until the last process is gone. */
export async function benchDevUpAndDown(workers: number, runs: number): Promise<{ up: number, down: number }> {
  const ups: number[] = []
  const downs: number[] = []
  for (let run = 0; run < runs; run++) {
    const dir = tempDir('bun-pm-bench-dev-')
    try {
      const ports = Array.from({ length: workers }, () => freePort())
      write(join(dir.path, 'server.ts'), serverSource('up'))
      write(join(dir.path, 'pm.config.ts'), `export default { workers: [${ports.map((port, i) => `{ name: 's${i}', bun: 'server.ts', options: { env: { PORT: '${port}' } } }`).join(', ')}] }\n`)
      const started = performance.now()
      const dev = Bun.spawn([process.execPath, '--no-env-file', ENTRY, 'dev'], { cwd: dir.path, env: { ...process.env, NO_COLOR: '1' }, stdout: 'ignore', stderr: 'ignore' })
      await Promise.all(ports.map(port => waitForBody(port, 'up')))
      ups.push(performance.now() - started)
      const home = devHome(dir.path)
      const pids = sessionPids(home)
      const stopping = performance.now()
      dev.kill('SIGINT')
      await dev.exited
      // A zombie is a process that has ended: the machine's init reaps it when it gets round to it.
      while (pids.some(isAlive))
        await Bun.sleep(2)
      downs.push(performance.now() - stopping)
    }
    finally {
      dir.remove()
    }
  }
  return { up: median(ups), down: median(downs) }
}

if (import.meta.main) {
  // `bun bench/dev.ts [saves] [runs] [part saves]`: the parts, then the target's runs.
  const saves = Number(process.argv[2] ?? 50)
  const runs = Number(process.argv[3] ?? 3)
  console.log(`load ${(await Bun.file('/proc/loadavg').text()).trim()}`)
  const parts = await benchReloadParts(Number(process.argv[4] ?? saves))
  for (const [part, value] of Object.entries(parts))
    console.log(`${part.padEnd(28)} ${value.toFixed(1)} ms  ${(value / parts['bun --watch server.ts']).toFixed(2)}x`)
  const reload = await benchReload(saves, runs)
  for (const r of reload.runs)
    console.log(`run: bun --watch ${r.bunWatch.toFixed(1)} ms, dev ${r.dev.toFixed(1)} ms, ${r.ratio.toFixed(2)}x`)
  console.log(`median ratio ${reload.ratio.toFixed(2)}x; load ${(await Bun.file('/proc/loadavg').text()).trim()}`)
}
