// `status --json` against `pm2 jlist` with N workers running, and what stays in memory: the
// launcher (`start --attach`), the PM2 daemon and bun-pm's health agent, against PM2's daemon
// running the same workers from a tuned ecosystem file.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { median, processesOfHome, REPO, rssMb, waitForBody } from './lib.ts'
import { benchWorkspace, BUILT, commandOf } from './start.ts'

const PM2_CLI = join(REPO, 'node_modules/pm2/bin/pm2')

async function timed(cmd: string[], cwd: string, env: Record<string, string>): Promise<number> {
  const started = performance.now()
  const proc = Bun.spawn(cmd, { cwd, env, stdout: 'ignore', stderr: 'ignore' })
  const code = await proc.exited
  if (code !== 0)
    throw new Error(`${cmd.join(' ')} exited ${code}`)
  return performance.now() - started
}

/** Medians of `runs` calls each, interleaved, against one daemon running `count` workers that bun-pm started. */
export async function benchStatus(count: number, runs: number): Promise<{ status: number, jlist: number }> {
  const ws = benchWorkspace(count)
  try {
    await timed(commandOf('bun-pm start'), ws.path, ws.env)
    const times = { status: [] as number[], jlist: [] as number[] }
    for (let i = 0; i < runs; i++) {
      times.status.push(await timed([process.execPath, '--no-env-file', BUILT, 'status', '--json'], ws.path, ws.env))
      times.jlist.push(await timed(['node', PM2_CLI, 'jlist'], ws.path, ws.env))
    }
    return { status: median(times.status), jlist: median(times.jlist) }
  }
  finally {
    await ws.remove()
  }
}

export interface MemoryFigures {
  count: number
  launcher: number
  daemon: number
  agent: number
  workers: number
  pm2Daemon: number
  pm2Workers: number
}

const SETTLE_MS = 2000

function daemonPid(home: string): number {
  return Number(readFileSync(join(home, 'pm2.pid'), 'utf8'))
}

/** The health agent's pid, as `status --json` says it. */
function agentPid(cwd: string, env: Record<string, string>): number {
  const status = Bun.spawnSync([process.execPath, '--no-env-file', BUILT, 'status', '--json'], { cwd, env })
  const pid = (JSON.parse(status.stdout.toString()) as { agent: { pid: number | null } }).agent.pid
  if (!pid)
    throw new Error(`no health agent runs: ${status.stdout.toString()}`)
  return pid
}

/** RSS (MB) of each long-lived process, `SETTLE_MS` after `count` workers answer: bun-pm `start --attach`, then PM2's CLI tuned. */
export async function benchMemory(count: number): Promise<MemoryFigures> {
  const ours = benchWorkspace(count)
  let figures: Omit<MemoryFigures, 'pm2Daemon' | 'pm2Workers'>
  try {
    const attached = Bun.spawn([process.execPath, '--no-env-file', BUILT, 'start', '--attach'], { cwd: ours.path, env: ours.env, stdout: 'ignore', stderr: 'ignore' })
    await Promise.all(ours.ports.map(port => waitForBody(port, 'up', 60_000)))
    await Bun.sleep(SETTLE_MS)
    const daemon = daemonPid(ours.home)
    const agent = agentPid(ours.path, ours.env)
    const workers = processesOfHome(ours.home).filter(pid => ![daemon, agent, attached.pid].includes(pid))
    figures = { count, launcher: rssMb(attached.pid), daemon: rssMb(daemon), agent: rssMb(agent), workers: workers.reduce((sum, pid) => sum + rssMb(pid), 0) }
    attached.kill('SIGTERM')
    await attached.exited
  }
  finally {
    await ours.remove()
  }
  const theirs = benchWorkspace(count)
  try {
    await timed(commandOf('pm2 CLI tuned'), theirs.path, theirs.env)
    await Promise.all(theirs.ports.map(port => waitForBody(port, 'up', 60_000)))
    await Bun.sleep(SETTLE_MS)
    const daemon = daemonPid(theirs.home)
    const workers = processesOfHome(theirs.home).filter(pid => pid !== daemon)
    return { ...figures, pm2Daemon: rssMb(daemon), pm2Workers: workers.reduce((sum, pid) => sum + rssMb(pid), 0) }
  }
  finally {
    await theirs.remove()
  }
}

if (import.meta.main) {
  const [count = '200', runs = '5'] = process.argv.slice(2)
  console.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
  const { status, jlist } = await benchStatus(Number(count), Number(runs))
  console.log(`status, ${count} workers (median of ${runs}): pm2 jlist ${jlist.toFixed(0)} ms, bun-pm status --json ${status.toFixed(0)} ms, ratio ${(status / jlist).toFixed(2)}`)
  console.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
}
