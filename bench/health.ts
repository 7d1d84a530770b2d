// `start` since readiness comes from the health agent: how long after the last worker answers
// the command returns (this checkout, and commit ab0175a's fixed 1.5 s wait), and what the agent
// costs while the workers idle. Alone: `bun bench/health.ts` prints the section (it builds this
// checkout first, as `bun run bench` does).
import { readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { checkoutState, machine, median, ms, REPO, serverSource, stopHome, tempDir, waitForBody, write } from './lib.ts'
import { freeLowPorts } from './start.ts'

/** The commit before readiness: `start` waited for 1.5 s of stable uptime after spawning. */
export const OLD_COMMIT = 'ab0175a'
const BUILT = join(REPO, 'dist/commands/exec-process.js')
const BIN = join(REPO, 'node_modules/.bin')

export interface Build {
  label: string
  /** dist/commands/exec-process.js of that build. */
  entry: string
}

function spawnSyncOrThrow(cmd: string[], cwd: string): void {
  const result = Bun.spawnSync(cmd, { cwd, stdout: 'ignore', stderr: 'pipe' })
  if (result.exitCode !== 0)
    throw new Error(`${cmd.join(' ')} failed in ${cwd}: ${result.stderr.toString()}`)
}

/** Builds this checkout (what `bun run bench` does first). */
export function buildCurrent(): Build {
  spawnSyncOrThrow([process.execPath, 'run', 'build'], REPO)
  return { label: 'now', entry: BUILT }
}

/**
 * A temporary clone of this repository at `commit`, with this checkout's node_modules linked in
 * and built; `remove` deletes it.
 */
export function buildCommit(commit: string = OLD_COMMIT): Build & { remove: () => void } {
  const dir = tempDir('bun-pm-bench-old-')
  const path = join(dir.path, 'repo')
  try {
    spawnSyncOrThrow(['git', 'clone', '-q', REPO, path], dir.path)
    spawnSyncOrThrow(['git', 'checkout', '-q', commit], path)
    symlinkSync(join(REPO, 'node_modules'), join(path, 'node_modules'))
    spawnSyncOrThrow([process.execPath, 'run', 'build'], path)
  }
  catch (error) {
    dir.remove()
    throw error
  }
  return { label: commit, entry: join(path, 'dist/commands/exec-process.js'), remove: dir.remove }
}

interface Workspace {
  dir: string
  home: string
  ports: number[]
  env: Record<string, string | undefined>
  remove: () => Promise<void>
}

/** A temp workspace of `count` one-line servers, with or without an HTTP heartbeat on its own port, and a fresh PM2 home. */
function workspace(count: number, heartbeat: boolean): Workspace {
  const dir = tempDir('bun-pm-bench-health-')
  const home = join(dir.path, '.pm2')
  const ports = freeLowPorts(count)
  write(join(dir.path, 'server.ts'), serverSource('up'))
  const workers = ports.map((port, i) => `{ name: 's${i}', bun: 'server.ts',${heartbeat ? ` heartbeat: 'http://127.0.0.1:${port}/',` : ''} options: { env: { PORT: '${port}' } } }`)
  write(join(dir.path, 'pm.config.ts'), `export default { workers: [\n  ${workers.join(',\n  ')},\n] }\n`)
  return {
    dir: dir.path,
    home,
    ports,
    env: { ...process.env, PM2_HOME: home, PATH: `${BIN}:${process.env.PATH}` },
    async remove() {
      await stopHome(home)
      dir.remove()
    },
  }
}

/**
 * One cold run: spawns `start` of `build` in a fresh workspace and PM2 home, polls every port
 * meanwhile; the lag is the start process's exit minus the moment the last port first answered.
 */
export async function returnLagOnce(build: Build, count: number, heartbeat: boolean): Promise<number> {
  const ws = workspace(count, heartbeat)
  try {
    const proc = Bun.spawn([process.execPath, '--no-env-file', build.entry, 'start'], { cwd: ws.dir, env: ws.env, stdout: 'pipe', stderr: 'pipe' })
    // Taken where `exited` resolves (Bun calls `onExit` only after that).
    const exited = proc.exited.then(code => ({ code, at: performance.now() }))
    const answeredAt = await Promise.all(ws.ports.map(port => waitForBody(port, 'up', 60_000).then(() => performance.now())))
    const { code, at: exitedAt } = await exited
    if (code !== 0)
      throw new Error(`${build.label}: start exited ${code}: ${await new Response(proc.stdout).text()}${await new Response(proc.stderr).text()}`)
    return exitedAt - Math.max(...answeredAt)
  }
  finally {
    await ws.remove()
  }
}

export interface LagRow {
  count: number
  heartbeat: boolean
  /** Median lag per build label, and every run's. */
  medians: Record<string, number>
  runs: Record<string, number[]>
}

/** Medians over `runs` cold runs, builds and heartbeat configs interleaved run by run. */
export async function benchReturnLag(builds: Build[], count: number, runs: number): Promise<LagRow[]> {
  const rows = [true, false].map(heartbeat => ({ count, heartbeat, medians: {} as Record<string, number>, runs: Object.fromEntries(builds.map(b => [b.label, [] as number[]])) }))
  for (let i = 0; i < runs; i++) {
    for (const row of rows) {
      for (const build of builds)
        row.runs[build.label]!.push(await returnLagOnce(build, count, row.heartbeat))
    }
  }
  for (const row of rows) {
    for (const build of builds)
      row.medians[build.label] = median(row.runs[build.label]!)
  }
  return rows
}

interface Sample { rssKb: number, ticks: number }

function sample(pid: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN)
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after "(comm)" start at field 3: utime (14) and stime (15) are at 11 and 12.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { rssKb, ticks: Number(fields[11]) + Number(fields[12]) }
}

const CLOCK_TICKS = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100

export interface ProcessCost {
  pid: number
  rssStartMb: number
  rssEndMb: number
  /** Percent of one core over the window. */
  cpuPercent: number
}

export interface AgentCost {
  count: number
  windowMs: number
  agent: ProcessCost
  daemon: ProcessCost
}

/** After `start` of `count` workers with HTTP heartbeats (default 5 s interval), the agent's and the daemon's RSS and CPU over `windowMs` of idling. */
export async function benchAgentCost(build: Build, count: number, windowMs = 10_000): Promise<AgentCost> {
  const ws = workspace(count, true)
  try {
    const run = (args: string[]) => Bun.spawnSync([process.execPath, '--no-env-file', build.entry, ...args], { cwd: ws.dir, env: ws.env, stdout: 'pipe', stderr: 'pipe' })
    const started = run(['start'])
    if (started.exitCode !== 0)
      throw new Error(`start exited ${started.exitCode}: ${started.stdout.toString()}${started.stderr.toString()}`)
    const status = run(['status', '--json'])
    const agentPid = (JSON.parse(status.stdout.toString()) as { agent: { pid: number | null } }).agent.pid
    if (!agentPid)
      throw new Error(`status --json shows no running agent: ${status.stdout.toString()}`)
    const daemonPid = Number(readFileSync(join(ws.home, 'pm2.pid'), 'utf8'))
    const pids = { agent: agentPid, daemon: daemonPid }
    const before = { agent: sample(pids.agent), daemon: sample(pids.daemon) }
    const t0 = performance.now()
    await Bun.sleep(windowMs)
    const after = { agent: sample(pids.agent), daemon: sample(pids.daemon) }
    const seconds = (performance.now() - t0) / 1000
    const cost = (which: 'agent' | 'daemon'): ProcessCost => ({
      pid: pids[which],
      rssStartMb: before[which].rssKb / 1024,
      rssEndMb: after[which].rssKb / 1024,
      cpuPercent: (after[which].ticks - before[which].ticks) / CLOCK_TICKS / seconds * 100,
    })
    return { count, windowMs, agent: cost('agent'), daemon: cost('daemon') }
  }
  finally {
    await ws.remove()
  }
}

const lag = (value: number | undefined) => value === undefined ? '–' : ms(value)
const mb = (value: number) => `${value.toFixed(1)} MB`

/** The whole section: measures (builds `commit` in a temp clone, removed after) and returns its markdown lines. */
export async function benchHealth({ count = 10, runs = 5, commit = OLD_COMMIT, current = { label: 'now', entry: BUILT } as Build } = {}): Promise<string[]> {
  const pm2Version = (await import('pm2/package.json', { with: { type: 'json' } })).default.version
  const state = checkoutState()
  const old = buildCommit(commit)
  let rows: LagRow[]
  try {
    rows = await benchReturnLag([old, current], count, runs)
  }
  finally {
    old.remove()
  }
  const cost = await benchAgentCost(current, count)
  const all = (row: LagRow, label: string) => row.runs[label]!.map(v => v.toFixed(0)).join(', ')
  return [
    '## start: when it returns, against when the workers answer',
    '',
    `Run on ${new Date().toISOString().slice(0, 10)}: ${machine()}, bun ${Bun.version}, pm2 ${pm2Version}, Linux. \`bun bench/health.ts\` runs this section alone.`,
    '',
    `Return lag: the \`start\` process's exit minus the moment the last of ${count} one-line Bun HTTP servers first answered`,
    '(every port polled concurrently, 1 ms apart). Negative: `start` returned before the last one answered.',
    `Median of ${runs} cold runs (fresh PM2 home each, no daemon yet); the two builds and the two configs interleaved run by run.`,
    `\`${commit}\`: a clone of that commit, built, with this checkout's node_modules; its \`start\` waited for 1.5 s of stable uptime.`,
    `\`now\`: this checkout's build (${state}). Heartbeat \`http://127.0.0.1:PORT/\`: each worker's own port.`,
    '',
    `| workers | heartbeat | ${commit} (fixed 1.5 s wait) | now | target |`,
    '|---|---|---|---|---|',
    ...rows.map(r => `| ${r.count} | ${r.heartbeat ? 'http, own port' : 'none'} | ${lag(r.medians[commit])} | ${lag(r.medians[current.label])} | ${r.heartbeat ? `now under 100 ms: ${(r.medians[current.label] ?? Infinity) < 100 ? 'met' : 'missed'}` : '~1 s (readiness window)'} |`),
    '',
    `Every run, ms (${commit} / now): ${rows.map(r => `${r.heartbeat ? 'heartbeat' : 'none'}: ${all(r, commit)} / ${all(r, current.label)}`).join('; ')}.`,
    '',
    'Without a heartbeat the readiness window is the point: a worker is ready once it has stayed up',
    '`options.health.readyAfter` (1 s by default), so `start` returning ~1 s after the last worker answers',
    'is what it is asked to do; set a heartbeat to return as soon as the workers answer.',
    '',
    `The health agent's cost: ${count} workers with HTTP heartbeats (default interval 5 s) after \`start\`, then`,
    `${cost.windowMs / 1000} s of idling; RSS from /proc/<pid>/status VmRSS at the start and end of the window, CPU from`,
    `/proc/<pid>/stat utime+stime (${CLOCK_TICKS} ticks/s, so 0.1 % resolution over 10 s), as % of one core. One run.`,
    '',
    '| process | RSS at start → end | CPU (% of one core) |',
    '|---|---|---|',
    `| health agent (\`<namespace>:health\`, bun) | ${mb(cost.agent.rssStartMb)} → ${mb(cost.agent.rssEndMb)} | ${cost.agent.cpuPercent.toFixed(1)} % |`,
    `| PM2 daemon (for comparison) | ${mb(cost.daemon.rssStartMb)} → ${mb(cost.daemon.rssEndMb)} | ${cost.daemon.cpuPercent.toFixed(1)} % |`,
    '',
  ]
}

if (import.meta.main) {
  const current = buildCurrent()
  console.log((await benchHealth({ current })).join('\n'))
}
