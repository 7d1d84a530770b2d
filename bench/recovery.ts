// Recovery: a worker SIGKILLed until its port answers again from a new process,
// `bun bench/recovery.ts [runs=5] [workers=max(3, runs)] [why]`. Four managers run side by side, each in
// its own workspace and private PM2 home, with the same one-line Bun HTTP servers:
//   - the tuned PM2 CLI (`pmx: false, automation: false`) as PM2 restarts by default (no delay),
//   - the same with `exp_backoff_restart_delay: 100` (what bun-pm sets when the config says nothing),
//   - `bun start` with `restart_delay: 0` (the same as PM2's default: no delay),
//   - `bun start` with bun-pm's defaults (`exp_backoff_restart_delay: 100`; an HTTP heartbeat each).
// Each run takes a worker not killed before (a fresh back-off) in every manager, one manager after
// another: its pid is SIGKILLed, the clock runs until its port answers and PM2's pid file names
// another live process; then the same worker once more (the repeated kill: PM2's back-off is
// x1.5 by then). Medians over the runs. Every home is removed after (`pm2 kill`, then by pid).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive } from '../src/os/processes.ts'
import { load, spawnDaemonWith } from './memory-breakdown.ts'
import { cpuMs, median, PM2_CLI, REPO, serverSource, stopHome, tempDir, waitForBody, write } from './lib.ts'
import { DAEMON_PRELOADS } from '../src/pm2/daemon.ts'
import { SCRIPT_KEY, WORKER_ENTRY } from '../src/plan/mode-options.ts'
import { BUILT, freeLowPorts } from './start.ts'

const BUN_LINK = join(REPO, 'node_modules/.bin/bun')

export type RecoveryMethod = 'pm2 tuned, no delay' | 'pm2 tuned, back-off 100 ms' | 'bun-pm, restart_delay: 0' | 'bun-pm defaults (back-off 100 ms)' | Diagnostic
export const RECOVERY_METHODS: RecoveryMethod[] = ['pm2 tuned, no delay', 'pm2 tuned, back-off 100 ms', 'bun-pm, restart_delay: 0', 'bun-pm defaults (back-off 100 ms)']
/**
 * Where bun-pm's time goes (`why`): PM2's daemon under bun as bun-pm spawns it, without its preloads;
 * with them; the first running each server through bun-pm's worker entry; bun-pm with no heartbeat.
 */
type Diagnostic = 'pm2 tuned, daemon under bun, no delay' | 'pm2 tuned, daemon under bun + bun-pm preloads, no delay' | 'pm2 tuned, daemon under bun, bun-pm worker entry, no delay' | 'bun-pm, restart_delay: 0, no heartbeat'
export const DIAGNOSTICS: RecoveryMethod[] = ['pm2 tuned, daemon under bun, no delay', 'pm2 tuned, daemon under bun + bun-pm preloads, no delay', 'pm2 tuned, daemon under bun, bun-pm worker entry, no delay', 'bun-pm, restart_delay: 0, no heartbeat']
/** Each bun-pm row and the PM2 row with the same settings. */
export const EQUAL_SETTINGS: [RecoveryMethod, RecoveryMethod][] = [['bun-pm, restart_delay: 0', 'pm2 tuned, no delay'], ['bun-pm defaults (back-off 100 ms)', 'pm2 tuned, back-off 100 ms']]

interface Managed { method: RecoveryMethod, path: string, home: string, ports: number[], env: Record<string, string> }

/** A kill: until the port answered, and the CPU the manager's own processes used from the kill until BETWEEN_KILLS_MS after. */
interface Kill { ms: number, cpuMs: number }

/** A workspace and private home for `method`, its `count` servers started and answering. */
export async function startManaged(method: RecoveryMethod, count: number, workerEnv: Record<string, string> = {}): Promise<Managed> {
  const dir = tempDir('bun-pm-bench-recovery-')
  const home = join(dir.path, '.pm2')
  const ports = freeLowPorts(count)
  const env = { ...process.env as Record<string, string>, PM2_HOME: home, PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` }
  const managed: Managed = { method, path: dir.path, home, ports, env }
  live.add(managed)
  write(join(dir.path, 'server.ts'), serverSource('up'))
  let command: string[]
  if (method.startsWith('pm2')) {
    const backoff = method === 'pm2 tuned, back-off 100 ms' ? { exp_backoff_restart_delay: 100 } : {}
    const bunPmWorker = method.includes('bun-pm worker')
    const run = (port: number) => bunPmWorker
      ? { script: WORKER_ENTRY, interpreter_args: ['--no-env-file'], env: { ...workerEnv, PORT: String(port), [SCRIPT_KEY]: join(dir.path, 'server.ts') } }
      : { script: 'server.ts', env: { ...workerEnv, PORT: String(port) } }
    const apps = ports.map((port, i) => ({ name: `s${i}`, interpreter: BUN_LINK, ...run(port), pmx: false, automation: false, ...backoff }))
    if (method.includes('daemon under bun')) {
      const preloads = method.includes('preloads') ? DAEMON_PRELOADS : []
      await spawnDaemonWith(home, dir.path, env, preloads)
    }
    write(join(dir.path, 'ecosystem.config.cjs'), `module.exports = { apps: ${JSON.stringify(apps)} }\n`)
    command = ['node', PM2_CLI, 'start', 'ecosystem.config.cjs']
  }
  else {
    const envOf = (port: number) => JSON.stringify({ ...workerEnv, PORT: String(port) })
    const options = (port: number) => method.includes('restart_delay: 0') ? `{ restart_delay: 0, env: ${envOf(port)} }` : `{ env: ${envOf(port)} }`
    const heartbeat = (port: number) => method.includes('no heartbeat') ? '' : `heartbeat: 'http://127.0.0.1:${port}/', `
    write(join(dir.path, 'pm.config.ts'), `export default { workers: [${ports.map((port, i) => `{ name: 's${i}', bun: 'server.ts', ${heartbeat(port)}options: ${options(port)} }`).join(', ')}] }\n`)
    command = [process.execPath, '--no-env-file', BUILT, 'start']
  }
  const started = Bun.spawnSync(command, { cwd: dir.path, env, stdout: 'pipe', stderr: 'pipe', timeout: 120_000 })
  if (started.exitCode !== 0)
    throw new Error(`${method}: ${command.join(' ')} exited ${started.exitCode}: ${started.stderr.toString()}`)
  await Promise.all(ports.map(port => waitForBody(port, 'up', 60_000)))
  return managed
}

/** The managers started and not yet removed (removed on Ctrl-C too). */
const live = new Set<Managed>()

export async function remove(managed: Managed): Promise<void> {
  Bun.spawnSync(['node', PM2_CLI, 'kill'], { cwd: managed.path, env: managed.env, stdout: 'ignore', stderr: 'ignore', timeout: 20_000 })
  await stopHome(managed.home)
  rmSync(managed.path, { recursive: true, force: true })
  live.delete(managed)
}

/** The pid PM2 wrote for worker `name` (its pid file, `<name>-<pm id>.pid`), or null when there is none (yet). */
function pidOf(home: string, name: string): number | null {
  const file = readdirSync(join(home, 'pids')).find(f => new RegExp(`^${name}-\\d+\\.pid$`).test(f))
  if (!file)
    return null
  try {
    const pid = Number(readFileSync(join(home, 'pids', file), 'utf8'))
    return pid > 0 ? pid : null
  }
  catch {
    return null
  }
}

/** The manager's own processes: PM2's daemon, and bun-pm's health agent (any other PM2 app that is no worker). */
function managerPids(managed: Managed): number[] {
  const agents = readdirSync(join(managed.home, 'pids')).filter(f => !/^s\d+-\d+\.pid$/.test(f))
  // An agent inside bun-pm's daemon has a pid no process has: the daemon's CPU is its too.
  return [Number(readFileSync(join(managed.home, 'pm2.pid'), 'utf8')), ...agents.map(f => Number(readFileSync(join(managed.home, 'pids', f), 'utf8'))).filter(pid => existsSync(`/proc/${pid}`))]
}

/** SIGKILL of worker `index`'s process, until its port answers from another live process (ms). */
export async function killUntilAnswer(managed: Managed, index: number): Promise<number> {
  const name = `s${index}`
  const old = pidOf(managed.home, name)
  if (!old || !isAlive(old))
    throw new Error(`${managed.method}: ${name} has no live pid`)
  const t0 = performance.now()
  process.kill(old, 'SIGKILL')
  await waitForBody(managed.ports[index]!, 'up', 30_000)
  const took = performance.now() - t0
  // The old process cannot answer (SIGKILL is not caught): check that PM2 says another one runs.
  const deadline = Date.now() + 5000
  for (;;) {
    const pid = pidOf(managed.home, name)
    if (pid && pid !== old && isAlive(pid))
      return took
    if (Date.now() > deadline)
      throw new Error(`${managed.method}: ${name} answered after its SIGKILL but PM2 names no new process`)
    await Bun.sleep(5)
  }
}

async function measuredKill(managed: Managed, index: number): Promise<Kill> {
  const pids = managerPids(managed)
  const cpu0 = pids.reduce((sum, pid) => sum + cpuMs(pid), 0)
  const ms = await killUntilAnswer(managed, index)
  await Bun.sleep(BETWEEN_KILLS_MS)
  return { ms, cpuMs: pids.reduce((sum, pid) => sum + cpuMs(pid), 0) - cpu0 }
}

export interface RecoveryRow {
  runs: number
  methods: RecoveryMethod[]
  workers: number
  /** Medians, ms: the first kill of a worker, and the kill right after it came back. */
  first: Record<RecoveryMethod, number>
  repeated: Record<RecoveryMethod, number>
  /** The manager's own CPU per kill (daemon, and agent for bun-pm), mean over every kill, ms. */
  cpu: Record<RecoveryMethod, number>
  load: { before: string, after: string }
}

/** Pause between a worker answering again and the next kill (bun-pm's agent sees the new run online). */
const BETWEEN_KILLS_MS = 300

/** Medians over `runs`: each run kills a fresh worker of every manager, the managers in turn (their order rotates). */
export async function benchRecovery(runs: number, workers = Math.max(3, runs), methods = RECOVERY_METHODS): Promise<RecoveryRow> {
  const before = load()
  const first = Object.fromEntries(methods.map(m => [m, [] as number[]])) as Record<RecoveryMethod, number[]>
  const repeated = Object.fromEntries(methods.map(m => [m, [] as number[]])) as Record<RecoveryMethod, number[]>
  const cpu = Object.fromEntries(methods.map(m => [m, [] as number[]])) as Record<RecoveryMethod, number[]>
  const managers: Managed[] = []
  try {
    for (const method of methods)
      managers.push(await startManaged(method, workers))
    // The agents' first checks and PM2's first listings are over.
    await Bun.sleep(2000)
    for (let run = 0; run < runs; run++) {
      const index = run % workers
      for (let k = 0; k < managers.length; k++) {
        const managed = managers[(run + k) % managers.length]!
        const kills = [await measuredKill(managed, index), await measuredKill(managed, index)]
        first[managed.method].push(kills[0]!.ms)
        repeated[managed.method].push(kills[1]!.ms)
        cpu[managed.method].push(...kills.map(k => k.cpuMs))
      }
    }
  }
  finally {
    for (const managed of managers)
      await remove(managed)
  }
  const medians = (samples: Record<RecoveryMethod, number[]>) => Object.fromEntries(methods.map(m => [m, median(samples[m])])) as Record<RecoveryMethod, number>
  return { runs, workers, methods, first: medians(first), repeated: medians(repeated), cpu: Object.fromEntries(methods.map(m => [m, cpu[m].reduce((a, b) => a + b, 0) / cpu[m].length])) as Record<RecoveryMethod, number>, load: { before, after: load() } }
}

/** The section of bench/RESULTS.md. */
export function recoverySection(row: RecoveryRow): string[] {
  const ms = (value: number) => `${value.toFixed(0)} ms`
  const ratio = (a: number, b: number) => (a / b).toFixed(2)
  return [
    '## Recovery: a worker SIGKILLed until its port answers again from a new process',
    '',
    `\`bun bench/recovery.ts ${row.runs}\`: ${row.workers} one-line Bun HTTP servers under each manager, all four running side by side (private homes);`,
    'each run SIGKILLs a worker not killed before under every manager in turn (the first kill), then the same worker again',
    `${BETWEEN_KILLS_MS} ms after it answered (the repeated kill: PM2's back-off has grown x1.5). PM2 rows: the tuned CLI (\`pmx: false, automation: false\`).`,
    `bun-pm sets \`exp_backoff_restart_delay: 100\` when the config sets no delay; its rows have an HTTP heartbeat per worker. Load ${row.load.before} before, ${row.load.after} after.`,
    '',
    '| manager, settings | first kill | repeated kill | the manager\'s own CPU per kill (daemon + agent, until 300 ms after the answer) |',
    '|---|---|---|---|',
    ...row.methods.map(m => `| ${m} | ${ms(row.first[m])} | ${ms(row.repeated[m])} | ${ms(row.cpu[m])} |`),
    ...EQUAL_SETTINGS.map(([bunPm, pm2]) => `| ratio ${bunPm} / ${pm2} (target ≤ 1) | ${ratio(row.first[bunPm], row.first[pm2])} | ${ratio(row.repeated[bunPm], row.repeated[pm2])} | |`),
    '',
  ]
}

if (import.meta.main) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      void Promise.all([...live].map(remove)).finally(() => process.exit(130))
    })
  }
  const why = process.argv.includes('why')
  const [runs = 5, workers] = process.argv.slice(2).filter(a => a !== 'why').map(Number)
  console.log(recoverySection(await benchRecovery(runs, workers, why ? [...RECOVERY_METHODS, ...DIAGNOSTICS] : RECOVERY_METHODS)).join('\n'))
  process.exit(0)
}
