// Where a cold `start` of N workers spends its time inside PM2's daemon, bun-pm's and the tuned
// PM2 CLI's side by side: `bun bench/scale.ts [workers=100] [runs=1]` (build first). A preload
// (bench/daemon-timing.cjs; BUN_OPTIONS for bun-pm's daemon under bun, NODE_OPTIONS for PM2's
// under Node) times each app from the moment the daemon receives it to its answer: the
// synchronous work of God.prepare/executeApp, the wait for its log files to open, the spawn
// itself, and the daemon's CPU time and event-loop lag over the whole start. The bench adds when
// each worker first answered HTTP.
import { appendFileSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { environOf } from '../src/os/processes.ts'
import { cpuMs, median, ms, processesOfHome, REPO, waitForBody } from './lib.ts'
import { benchWorkspace, commandOf, type Method } from './start.ts'

const PRELOAD = join(REPO, 'bench/daemon-timing.cjs')

interface AppRecord { kind: 'app', name: string, received: number, answered: number, replyBytes: number, prepareSyncMs: number, loggingMs?: number, afterLoggingSyncMs?: number, spawnMs?: number }
interface Summary { kind: 'summary', at: number, cpuUserMs: number, cpuSystemMs: number, lagMs: number, worstLagMs: number, rssMb: number, bus: Record<string, { events: number, bytes: number }> }

export interface DaemonRun {
  method: Method
  count: number
  runtime: string
  /** Command until every worker answered. */
  serving: number
  /** Command until the daemon received its first app / answered its last. */
  firstReceived: number
  lastAnswered: number
  /** Per app, medians: received until answered; synchronous work (prepare + after its logs opened); the logs' wait; spawn(). */
  perApp: { turnaround: number, syncMs: number, loggingMs: number, spawnMs: number }
  /** Sum over the apps of their synchronous work in the daemon. */
  syncTotal: number
  /** The daemon's CPU time from its boot until every worker answered, and its event loop's lateness. */
  cpuMs: number
  lagMs: number
  worstLagMs: number
  /** Per worker, median and largest: the daemon answered for it (it was spawned) until it answered HTTP. */
  bootMedian: number
  bootMax: number
  /** CPU time (ms) spent by the time every worker answered: the workers together, the health agent, the command itself. */
  cpu: { workers: number, agent: number, command: number }
  /** What the daemon broadcast on its bus meanwhile, by event type; the size of its answer to one app (median). */
  bus: Record<string, { events: number, bytes: number }>
  replyBytes: number
}

export async function daemonRun(method: Exclude<Method, 'floor'>, count: number): Promise<DaemonRun> {
  const ws = benchWorkspace(count)
  const file = join(ws.path, 'daemon-timings.jsonl')
  const pm2 = join(REPO, 'node_modules/pm2')
  const hook = method === 'bun-pm start'
    ? { BUN_OPTIONS: `--preload ${PRELOAD}` }
    : { NODE_OPTIONS: `--require ${PRELOAD}` }
  try {
    const started = performance.timeOrigin + performance.now()
    const proc = Bun.spawn(commandOf(method), { cwd: ws.path, env: { ...ws.env, ...hook, BUN_PM_DAEMON_TIMINGS: file, BUN_PM_BENCH_PM2: pm2 }, stdout: 'ignore', stderr: 'pipe' })
    const answeredAt = new Map<string, number>()
    await Promise.all(ws.ports.map((port, i) => waitForBody(port, 'up', 120_000).then(() => answeredAt.set(`s${i}`, performance.timeOrigin + performance.now()))))
    const serving = Math.max(...answeredAt.values()) - started
    appendFileSync(`${file}.done`, '')
    const daemonPid = Number(readFileSync(join(ws.home, 'pm2.pid'), 'utf8'))
    const others = processesOfHome(ws.home).filter(pid => pid !== daemonPid && pid !== proc.pid)
    const agents = others.filter(pid => environOf(pid).some(line => line.startsWith('BUN_PM_AGENT=')))
    const sum = (pids: number[]) => pids.reduce((total, pid) => total + cpuMs(pid), 0)
    const cpuNow = { workers: sum(others.filter(pid => !agents.includes(pid))), agent: sum(agents) }
    if (await proc.exited !== 0)
      throw new Error(`${method} exited ${proc.exitCode}: ${await new Response(proc.stderr).text()}`)
    const usage = proc.resourceUsage()
    const command = usage ? Number(usage.cpuTime.total) / 1000 : Number.NaN
    let summary: Summary | undefined
    let records: (AppRecord | Summary | { kind: 'boot', runtime: string })[] = []
    for (let i = 0; i < 100 && !summary; i++) {
      await Bun.sleep(20)
      records = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(line => JSON.parse(line))
      summary = records.find((r): r is Summary => r.kind === 'summary')
    }
    if (!summary)
      throw new Error(`${method}: the daemon wrote no summary to ${file}`)
    const apps = records.filter((r): r is AppRecord => r.kind === 'app' && /^s\d+$/.test(r.name))
    const sync = (a: AppRecord) => a.prepareSyncMs + (a.afterLoggingSyncMs ?? 0)
    const boots = apps.map(a => answeredAt.get(a.name)! - a.answered)
    return {
      method,
      count,
      runtime: (records.find(r => r.kind === 'boot') as { runtime: string }).runtime,
      serving,
      firstReceived: Math.min(...apps.map(a => a.received)) - started,
      lastAnswered: Math.max(...apps.map(a => a.answered)) - started,
      perApp: {
        turnaround: median(apps.map(a => a.answered - a.received)),
        syncMs: median(apps.map(sync)),
        loggingMs: median(apps.map(a => a.loggingMs ?? 0)),
        spawnMs: median(apps.map(a => a.spawnMs ?? 0)),
      },
      syncTotal: apps.reduce((sum, a) => sum + sync(a), 0),
      cpuMs: summary.cpuUserMs + summary.cpuSystemMs,
      lagMs: summary.lagMs,
      worstLagMs: summary.worstLagMs,
      bootMedian: median(boots),
      bootMax: Math.max(...boots),
      cpu: { ...cpuNow, command },
      bus: summary.bus,
      replyBytes: median(apps.map(a => a.replyBytes)),
    }
  }
  finally {
    rmSync(`${file}.done`, { force: true })
    await ws.remove()
  }
}

export type DaemonMethod = 'pm2 CLI tuned' | 'bun-pm start'
export interface DaemonBench {
  count: number
  runs: number
  /** The median over the runs of `pick` for `method`. */
  of: (method: DaemonMethod, pick: (r: DaemonRun) => number) => number
  /** The markdown table, the two daemons side by side. */
  table: string[]
  /** The machine's load average (1, 5, 15 min) before and after. */
  load: string
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

/** Each method's run at `count`, interleaved over `runs`. */
export async function benchDaemon(count: number, runs: number): Promise<DaemonBench> {
  const methods: DaemonMethod[] = ['pm2 CLI tuned', 'bun-pm start']
  const all: Record<DaemonMethod, DaemonRun[]> = { 'pm2 CLI tuned': [], 'bun-pm start': [] }
  const loadBefore = loadavg()
  for (let i = 0; i < runs; i++) {
    for (const method of methods)
      all[method].push(await daemonRun(method, count))
  }
  const of = (method: DaemonMethod, pick: (r: DaemonRun) => number) => median(all[method].map(pick))
  // PM2's Node daemon goes on in callbacks (its log files open asynchronously) that the preload's
  // one-stack attribution does not follow: its synchronous work per app is not measured.
  const SYNC = { notUnderNode: true }
  const BYTES = { unit: 'bytes' }
  const cell = (method: DaemonMethod, pick: (r: DaemonRun) => number, how: { notUnderNode?: boolean, unit?: string } = {}) =>
    how.notUnderNode && method === 'pm2 CLI tuned' ? '–' : how.unit ? `${Math.round(of(method, pick))} ${how.unit}` : ms(of(method, pick))
  const rows: [string, (r: DaemonRun) => number, { notUnderNode?: boolean, unit?: string }?][] = [
    ['command until every worker answered', r => r.serving],
    ['command until the daemon received its first app', r => r.firstReceived],
    ['… until it answered for its last app', r => r.lastAnswered],
    ['per app: received until answered (median)', r => r.perApp.turnaround],
    ['per app: synchronous work in the daemon (prepare, clone, spawn, notify; median)', r => r.perApp.syncMs, SYNC],
    ['per app: of which child_process.spawn (median)', r => r.perApp.spawnMs],
    ['per app: waiting for its log files to open (median)', r => r.perApp.loggingMs],
    ['all apps: synchronous work in the daemon, summed', r => r.syncTotal, SYNC],
    ['daemon CPU time, boot until every worker answered', r => r.cpuMs],
    ['the workers\' CPU time together, by then', r => r.cpu.workers],
    ['the health agent\'s CPU time, by then', r => r.cpu.agent],
    ['the command\'s own CPU time (bun-pm: until it exited)', r => r.cpu.command],
    ['per app: the daemon\'s answer to prepare (median)', r => r.replyBytes, BYTES],
    ['the daemon\'s bus: bytes broadcast to each subscriber, by then', r => Object.values(r.bus).reduce((n, b) => n + b.bytes, 0), BYTES],
    ['daemon event loop: lateness of a 10 ms timer, summed', r => r.lagMs],
    ['per worker: spawned until it answered HTTP (median)', r => r.bootMedian],
    ['per worker: spawned until it answered HTTP (largest)', r => r.bootMax],
  ]
  return {
    count,
    runs,
    of,
    load: `${loadBefore} before, ${loadavg()} after`,
    table: [
      `| ${count} workers, in the daemon (median of ${runs}) | PM2 CLI tuned (daemon under ${all['pm2 CLI tuned'][0]!.runtime}) | bun-pm start (daemon under ${all['bun-pm start'][0]!.runtime}) |`,
      '|---|---|---|',
      ...rows.map(([label, pick, how]) => `| ${label} | ${cell('pm2 CLI tuned', pick, how)} | ${cell('bun-pm start', pick, how)} |`),
    ],
  }
}

if (import.meta.main) {
  const [count = '100', runs = '1'] = process.argv.slice(2)
  const bench = await benchDaemon(Number(count), Number(runs))
  console.log(bench.table.join('\n'))
  console.log(`load average: ${bench.load}`)
}
