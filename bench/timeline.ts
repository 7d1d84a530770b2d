// Where one cold `start` spends its time: the launcher, the health agent and every worker write
// their phases to one file (BUN_PM_TRACE, src/trace.ts) on one clock, and the benchmark adds when
// each worker first answered. Alone: `bun bench/timeline.ts [workers] [runs]` (build first).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { median, ms, waitForBody } from './lib.ts'
import { benchWorkspace, commandOf } from './start.ts'

interface Event { at: number, pid: number, role: string, phase: string }

function parse(text: string): Event[] {
  return text.split('\n').filter(Boolean).map((line) => {
    const [at, pid, role, ...phase] = line.split(' ')
    return { at: Number(at), pid: Number(pid), role: role!, phase: phase.join(' ') }
  })
}

/** The phases of one run, in ms after the launcher process started. */
async function traceOnce(count: number): Promise<Map<string, number>> {
  const ws = benchWorkspace(count)
  const file = join(ws.path, 'trace.log')
  try {
    const proc = Bun.spawn(commandOf('bun-pm start'), { cwd: ws.path, env: { ...ws.env, BUN_PM_TRACE: file }, stdout: 'ignore', stderr: 'ignore' })
    const exited = proc.exited.then(() => Date.now())
    const answered = await Promise.all(ws.ports.map(port => waitForBody(port, 'up', 60_000).then(() => performance.timeOrigin + performance.now())))
    const exitAt = await exited
    const events = parse(readFileSync(file, 'utf8'))
    const launcher = events.find(e => e.role === 'launcher')!.pid
    const t0 = events.find(e => e.pid === launcher && e.phase === 'process started')!.at
    const phases = new Map<string, number>()
    const put = (label: string, at: number | undefined) => at !== undefined && phases.set(label, at - t0)
    const first = (role: string | RegExp, phase: string, which: 'first' | 'last' = 'first') => {
      const matches = events.filter(e => (typeof role === 'string' ? e.role === role : role.test(e.role)) && e.phase === phase).map(e => e.at).sort((a, b) => a - b)
      return which === 'first' ? matches[0] : matches.at(-1)
    }
    put('launcher: CLI loaded (bun started, citty)', first('launcher', 'cli loaded'))
    put('launcher: .env read', first('launcher', '.env read'))
    put('launcher: pm.config.ts imported (c12)', first('launcher', 'config imported'))
    put('launcher: config validated, plan made', first('launcher', 'config loaded'))
    put('launcher: PM2 daemon ready (spawned by bun-pm; pm2\'s API loads meanwhile)', first('launcher', 'daemon spawned'))
    put('launcher: connected to the daemon', first('launcher', 'daemon spawned, connected') ?? first('launcher', 'connected to the daemon'))
    put('daemon: its process started', first('daemon', 'process started'))
    // Inside a daemon bun-pm spawned, the agent has no process of its own (no 'process started').
    put('agent: process started', first('agent', 'process started'))
    put('agent: its code loaded (inside the daemon)', first('agent', 'agent loaded'))
    put('agent: connected to PM2\'s sockets (no pm2 API)', first('agent', 'agent connected'))
    put('agent: listening (hello)', first('agent', 'agent said hello'))
    put('launcher: workers handed to PM2 (one call)', first('launcher', `pm2 start ${count} apps`) ?? first('launcher', 'pm2 start s0'))
    put('workers: first process started', first(/^worker:/, 'process started'))
    put('workers: last process started', first(/^worker:/, 'process started', 'last'))
    put('launcher: every worker handed to PM2', first('launcher', 'every worker handed to PM2'))
    put('workers: first answered HTTP', Math.min(...answered))
    put('workers: last answered HTTP', Math.max(...answered))
    put('launcher: every worker seen ready', first('launcher', 'every worker ready'))
    put('launcher: exited', exitAt)
    return phases
  }
  finally {
    await ws.remove()
  }
}

/** Median of each phase over `runs` cold runs of `count` workers; the markdown lines. */
export async function benchTimeline(count: number, runs: number): Promise<string[]> {
  const all: Map<string, number>[] = []
  for (let i = 0; i < runs; i++)
    all.push(await traceOnce(count))
  const labels = [...all[0]!.keys()]
  return [
    `| phase of one cold \`start\`, ${count} workers | ms after the launcher process started (median of ${runs}) |`,
    '|---|---|',
    ...labels.map(label => `| ${label} | ${ms(median(all.map(phases => phases.get(label) ?? Number.NaN)))} |`),
  ]
}

if (import.meta.main) {
  const [count = '10', runs = '5'] = process.argv.slice(2)
  console.log((await benchTimeline(Number(count), Number(runs))).join('\n'))
}
