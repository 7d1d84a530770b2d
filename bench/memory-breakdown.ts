// Issue 22's groundwork: where the resident memory of bun-pm's own processes goes, with 10 one-line
// Bun HTTP workers (`bun bench/memory-breakdown.ts [workers] [runs]`). Measures, runs interleaved:
//   - bun alone, and bun importing the health agent's modules step by step (its runtime, PM2's
//     transport, the light client, the monitor and its probes, all of dist/agent/main.js's chunks),
//     each a process of its own, also inside PM2's bun container with an IPC channel as PM2 runs it;
//   - the PM2 daemon as `bun start` leaves it (the health checks inside it: no agent process);
//     PM2's daemon under bun without bun-pm's preloads, and PM2's own daemon under Node started by
//     its CLI (`pm2 ping`), each then given bun-pm's workers by `bun start` (the agent a process of
//     its own there); PM2's own daemon under Node as the tuned PM2 CLI starts it.
// VmRSS counts the bun binary's pages each bun process maps (shared between them); PSS divides
// shared pages among the processes that map them, so it is the fairer figure for what one more
// process costs. Every home is private and removed after (`pm2 kill`, then its pids by pid).
import { spawn as spawnChild } from 'node:child_process'
import { closeSync, openSync, readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { median, PM2_CLI, REPO, tempDir, waitForBody, write } from './lib.ts'
import { benchWorkspace, BUILT, commandOf } from './start.ts'
import { isInDaemonAgentPid } from '../src/model/agent-spec.ts'

const require = createRequire(import.meta.url)
const BUN = process.execPath
const BUN_LINK = join(REPO, 'node_modules/.bin/bun')
const CONTAINER = join(REPO, 'node_modules/pm2/lib/ProcessContainerForkBun.js')
const SETTLE_MS = 2000

export interface Mem { rss: number, anon: number, file: number, pss: number, uss: number, binary: number }

/**
 * VmRSS, RssAnon, RssFile (MB, /proc/pid/status); Pss and USS (private pages: what goes when the
 * process does) from /proc/pid/smaps_rollup; `binary`: resident pages of its runtime's executable
 * (bun's, or node's), shared with every process of the same binary.
 */
export function memOf(pid: number): Mem {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) / 1024
  let pss = Number.NaN
  let uss = Number.NaN
  let binary = 0
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    pss = kb(rollup, 'Pss')
    uss = kb(rollup, 'Private_Clean') + kb(rollup, 'Private_Dirty')
    const exe = realpathSync(`/proc/${pid}/exe`)
    let current = ''
    for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
      const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line)
      if (header)
        current = header[1]!
      else if (current === exe && line.startsWith('Rss:'))
        binary += Number(/(\d+)/.exec(line)![1]) / 1024
    }
  }
  catch {}
  return { rss: kb(status, 'VmRSS'), anon: kb(status, 'RssAnon'), file: kb(status, 'RssFile'), pss, uss, binary }
}

export const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

// ---------------------------------------------------------------------------------------------
// bun importing the agent's modules, one process per step

/** The chunks dist/agent/main.js imports: the agent's code without running it. */
function agentChunks(): string[] {
  const main = join(REPO, 'dist/agent/main.js')
  return [...readFileSync(main, 'utf8').matchAll(/from\s+"(\.\.\/[^"]+)"/g)].map(m => join(REPO, 'dist', m[1]!.slice(3)))
}

const axon = [require.resolve('pm2/modules/pm2-axon'), require.resolve('pm2/modules/pm2-axon-rpc')]
const src = (path: string) => join(REPO, 'src', path)
const steps: { label: string, modules: string[] }[] = [
  { label: 'bun alone (`setInterval`)', modules: [] },
  { label: '+ node:net, node:tls (the probes\' runtime modules)', modules: ['node:net', 'node:tls'] },
  { label: '+ PM2\'s transport (pm2-axon, pm2-axon-rpc)', modules: ['node:net', 'node:tls', ...axon] },
  { label: '+ light client (src/pm2/light-client.ts)', modules: ['node:net', 'node:tls', ...axon, src('pm2/light-client.ts')] },
  { label: '+ monitor, checks, probe, lifecycle (src/agent/monitor.ts)', modules: ['node:net', 'node:tls', ...axon, src('pm2/light-client.ts'), src('agent/monitor.ts')] },
  { label: '+ the rest of main.ts\'s imports (state file, track, spec, trace)', modules: ['node:net', 'node:tls', ...axon, src('pm2/light-client.ts'), src('agent/monitor.ts'), src('agent/state-file.ts'), src('agent/track.ts'), src('model/agent-spec.ts'), src('trace.ts')] },
  { label: 'the built agent\'s chunks (dist/agent/main.js imports) + PM2\'s transport', modules: [...agentChunks(), ...axon] },
]

function probeFile(dir: string): string {
  const path = join(dir, 'probe.cjs')
  // CommonJS, as PM2's bun container require()s a script; bun's require loads ESM without top-level await.
  write(path, `for (const m of JSON.parse(process.env.I22_MODULES || '[]')) require(m)
setTimeout(() => {
  Bun.gc(true)
  const { heapSize, objectCount } = require('bun:jsc').heapStats()
  const u = process.memoryUsage()
  process.stdout.write(JSON.stringify({ heapSize, objectCount, heapUsed: u.heapUsed, external: u.external }) + '\\n')
}, 800)
setInterval(() => {}, 1000)
`)
  return path
}

interface Probed { mem: Mem, heap: number, objects: number }

/** One process importing `modules` (directly, or in PM2's bun container with an IPC channel); measured ~1 s after its imports. */
type How = 'bun script' | 'bun --smol script' | 'PM2 bun container + IPC'

async function probe(probePath: string, modules: string[], how: How): Promise<Probed> {
  const env = { ...process.env as Record<string, string>, I22_MODULES: JSON.stringify(modules), pmx: 'false', pm_exec_path: probePath }
  const proc = how === 'PM2 bun container + IPC'
    ? Bun.spawn([BUN_LINK, '--no-env-file', CONTAINER], { env, stdout: 'pipe', stderr: 'inherit', ipc() {} })
    : Bun.spawn([BUN, '--no-env-file', ...(how === 'bun --smol script' ? ['--smol'] : []), probePath], { env, stdout: 'pipe', stderr: 'inherit' })
  try {
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
    let text = ''
    while (!text.includes('\n')) {
      const { value, done } = await reader.read()
      if (done)
        throw new Error(`probe exited before it measured: ${modules.join(', ')}`)
      text += new TextDecoder().decode(value)
    }
    const inside = JSON.parse(text) as { heapSize: number, objectCount: number }
    return { mem: memOf(proc.pid), heap: inside.heapSize / 2 ** 20, objects: inside.objectCount }
  }
  finally {
    proc.kill('SIGKILL')
    await proc.exited
  }
}

// ---------------------------------------------------------------------------------------------
// daemons and the agent with N workers

export type Variant = 'bun-pm start (checks inside its daemon)' | 'PM2 daemon under bun, no preloads (separate agent)' | 'PM2 CLI\'s daemon under Node, `pm2 ping` (separate agent)' | 'bun-pm start, BUN_OPTIONS=--smol' | 'PM2 CLI tuned (daemon under Node)'
const VARIANTS: Variant[] = ['bun-pm start (checks inside its daemon)', 'PM2 daemon under bun, no preloads (separate agent)', 'PM2 CLI\'s daemon under Node, `pm2 ping` (separate agent)', 'bun-pm start, BUN_OPTIONS=--smol', 'PM2 CLI tuned (daemon under Node)']
const SMOL = 'BUN_OPTIONS=--smol'

interface Managed { daemon: Mem, agent: Mem | null, workers: number, workersPss: number, load: string }

/** The daemon of `home` spawned as bun-pm's spawnDaemon does, with these preloads, ready when it says so over IPC. */
export async function spawnDaemonWith(home: string, cwd: string, env: Record<string, string>, preloads: string[]): Promise<void> {
  const log = join(home, 'pm2.log')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(home, { recursive: true, mode: 0o700 })
  const [out, err] = [openSync(log, 'a', 0o600), openSync(log, 'a', 0o600)]
  try {
    const child = spawnChild(BUN, [...preloads.flatMap(p => ['--preload', p]), require.resolve('pm2/lib/Daemon.js')], {
      detached: true,
      cwd,
      env: { SILENT: 'true', ...env, PM2_WORKER_INTERVAL: '2000', PM2_KILL_SIGNAL: 'SIGTERM', PM2_HOME: home, PM2_PROGRAMMATIC: 'true' },
      stdio: ['ignore', out, err, 'ipc'],
    })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`daemon of ${home} silent for 20 s`)), 20_000)
      child.once('exit', code => reject(new Error(`daemon of ${home} exited ${code}; see ${log}`)))
      child.once('message', () => {
        clearTimeout(timer)
        resolve()
      })
    })
    child.removeAllListeners()
    child.disconnect()
    child.unref()
  }
  finally {
    closeSync(out)
    closeSync(err)
  }
}

function run(cmd: string[], cwd: string, env: Record<string, string>): void {
  const result = Bun.spawnSync(cmd, { cwd, env, stdout: 'pipe', stderr: 'pipe', timeout: 120_000 })
  if (result.exitCode !== 0)
    throw new Error(`${cmd.join(' ')} exited ${result.exitCode}: ${result.stderr.toString()}${result.stdout.toString()}`)
}

/** The health agent's pid as `status --json` says it; above any real pid when it runs inside the daemon (no process of its own). */
export function agentPidOf(cwd: string, env: Record<string, string>): number {
  const status = Bun.spawnSync([BUN, '--no-env-file', BUILT, 'status', '--json'], { cwd, env })
  const pid = (JSON.parse(status.stdout.toString()) as { agent: { pid: number | null } }).agent.pid
  if (!pid)
    throw new Error(`no health agent runs: ${status.stdout.toString()}`)
  return pid
}

export function daemonPidOf(home: string): number {
  return Number(readFileSync(join(home, 'pm2.pid'), 'utf8'))
}

/** Every process whose environment names `home` (pm2 daemon, workers, agent). */
export { processesOfHome } from './lib.ts'

/** `pm2 kill` of the private home, then lib's stopHome (SIGTERM/SIGKILL by pid of what is left) and the folder removed. */
export async function removeWorkspace(ws: ReturnType<typeof benchWorkspace>): Promise<void> {
  Bun.spawnSync(['node', PM2_CLI, 'kill'], { cwd: ws.path, env: ws.env, stdout: 'ignore', stderr: 'ignore', timeout: 20_000 })
  await ws.remove()
}

async function measureVariant(variant: Variant, count: number): Promise<Managed> {
  const ws = benchWorkspace(count)
  live.add(ws)
  try {
    const { processesOfHome } = await import('./lib.ts')
    if (variant === 'PM2 CLI tuned (daemon under Node)') {
      run(commandOf('pm2 CLI tuned'), ws.path, ws.env)
    }
    else {
      if (variant === 'PM2 daemon under bun, no preloads (separate agent)')
        await spawnDaemonWith(ws.home, ws.path, ws.env, [])
      if (variant === 'PM2 CLI\'s daemon under Node, `pm2 ping` (separate agent)')
        run(['node', PM2_CLI, 'ping'], ws.path, ws.env)
      // --smol (bun collects garbage more often) for every bun process of the home: the launcher, the daemon, the agent and the workers.
      run(commandOf('bun-pm start'), ws.path, variant === 'bun-pm start, BUN_OPTIONS=--smol' ? { ...ws.env, BUN_OPTIONS: '--smol' } : ws.env)
    }
    await Promise.all(ws.ports.map(port => waitForBody(port, 'up', 60_000)))
    await Bun.sleep(SETTLE_MS)
    const daemon = daemonPidOf(ws.home)
    const listed = variant === 'PM2 CLI tuned (daemon under Node)' ? null : agentPidOf(ws.path, ws.env)
    const agent = listed !== null && isInDaemonAgentPid(listed) ? null : listed
    const workers = processesOfHome(ws.home).filter(pid => pid !== daemon && pid !== agent)
    if (variant === 'bun-pm start, BUN_OPTIONS=--smol') {
      const has = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(SMOL)
      if (!has(daemon) || (agent && !has(agent)))
        console.error(`note: ${SMOL} did not reach the daemon (${has(daemon)}) or the agent (${agent ? has(agent) : 'inside the daemon'})`)
    }
    const workerMems = workers.map(memOf)
    return { daemon: memOf(daemon), agent: agent ? memOf(agent) : null, workers: workerMems.reduce((sum, m) => sum + m.rss, 0), workersPss: workerMems.reduce((sum, m) => sum + m.pss, 0), load: load() }
  }
  finally {
    await removeWorkspace(ws)
    live.delete(ws)
  }
}

const live = new Set<ReturnType<typeof benchWorkspace>>()

// ---------------------------------------------------------------------------------------------

const f = (mb: number) => mb.toFixed(1)
export const medianMem = (mems: Mem[]): Mem => ({ rss: median(mems.map(m => m.rss)), anon: median(mems.map(m => m.anon)), file: median(mems.map(m => m.file)), pss: median(mems.map(m => m.pss)), uss: median(mems.map(m => m.uss)), binary: median(mems.map(m => m.binary)) })

async function main(count: number, runs: number): Promise<void> {
  const started = performance.now()
  const dir = tempDir('bun-pm-i22-probe-')
  const probePath = probeFile(dir.path)
  const out: string[] = []
  const say = (line = '') => {
    out.push(line)
    console.log(line)
  }
  try {
    say(`# memory breakdown, ${count} workers, ${runs} runs (medians), ${new Date().toISOString()}; bun ${Bun.version}; load at start ${load()}`)
    say()
    say('## bun importing the health agent\'s modules (each row its own process, measured ~1 s after its imports; MB)')
    say()
    say('| what is imported | how | VmRSS | RssAnon | RssFile | of which bun\'s binary | PSS | USS | JSC heap | JSC objects | load (1/5/15 min) |')
    say('|---|---|---|---|---|---|---|---|---|---|---|')
    const rows: { label: string, how: How, samples: Probed[], load: string[] }[] = []
    for (const step of steps)
      rows.push({ label: step.label, how: 'bun script', samples: [], load: [] })
    for (const how of ['PM2 bun container + IPC', 'bun --smol script'] as const) {
      rows.push({ label: steps[0]!.label, how, samples: [], load: [] })
      rows.push({ label: steps.at(-1)!.label, how, samples: [], load: [] })
    }
    for (let r = 0; r < runs; r++) {
      for (const row of rows) {
        const modules = steps.find(s => s.label === row.label)!.modules
        row.load.push(load())
        row.samples.push(await probe(probePath, modules, row.how))
      }
    }
    for (const row of rows) {
      const m = medianMem(row.samples.map(s => s.mem))
      say(`| ${row.label} | ${row.how} | ${f(m.rss)} | ${f(m.anon)} | ${f(m.file)} | ${f(m.binary)} | ${f(m.pss)} | ${f(m.uss)} | ${f(median(row.samples.map(s => s.heap)))} | ${median(row.samples.map(s => s.objects))} | ${row.load.at(-1)} |`)
    }
    say()
    say(`## the manager's processes with ${count} workers, ${SETTLE_MS / 1000} s after they answer (MB; runs interleaved)`)
    say()
    const results = new Map<Variant, Managed[]>(VARIANTS.map(v => [v, []]))
    for (let r = 0; r < runs; r++) {
      for (const variant of VARIANTS)
        results.get(variant)!.push(await measureVariant(variant, count))
    }
    say('| setup | process | VmRSS | RssAnon | RssFile | of which its runtime\'s binary | PSS | USS |')
    say('|---|---|---|---|---|---|---|---|')
    const cells = (m: Mem) => `${f(m.rss)} | ${f(m.anon)} | ${f(m.file)} | ${f(m.binary)} | ${f(m.pss)} | ${f(m.uss)}`
    for (const [variant, samples] of results) {
      say(`| ${variant} | daemon | ${cells(medianMem(samples.map(s => s.daemon)))} |`)
      const agents = samples.flatMap(s => s.agent ? [s.agent] : [])
      if (agents.length)
        say(`| ${variant} | health agent | ${cells(medianMem(agents))} |`)
    }
    say()
    say('| setup | daemon + agent VmRSS | ratio to PM2\'s daemon VmRSS | daemon + agent PSS | ratio to PM2\'s daemon PSS | workers VmRSS (sum) | workers PSS (sum) | load (1 min) at each run |')
    say('|---|---|---|---|---|---|---|---|')
    const theirs = results.get('PM2 CLI tuned (daemon under Node)')!
    const pm2Rss = median(theirs.map(s => s.daemon.rss))
    const pm2Pss = median(theirs.map(s => s.daemon.pss))
    for (const [variant, samples] of results) {
      const rss = median(samples.map(s => s.daemon.rss + (s.agent?.rss ?? 0)))
      const pss = median(samples.map(s => s.daemon.pss + (s.agent?.pss ?? 0)))
      say(`| ${variant} | ${f(rss)} | ${(rss / pm2Rss).toFixed(2)} | ${f(pss)} | ${(pss / pm2Pss).toFixed(2)} | ${f(median(samples.map(s => s.workers)))} | ${f(median(samples.map(s => s.workersPss)))} | ${samples.map(s => s.load.split(' ')[0]).join(', ')} |`)
    }
    say()
    say(`Whole run: ${((performance.now() - started) / 1000).toFixed(0)} s; load at the end ${load()}.`)
  }
  finally {
    dir.remove()
  }
}

if (import.meta.main) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      void Promise.all([...live].map(removeWorkspace)).finally(() => process.exit(130))
    })
  }
  const [count = 10, runs = 3] = process.argv.slice(2).map(Number)
  await main(count, runs)
  process.exit(0)
}
