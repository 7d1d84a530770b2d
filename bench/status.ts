// `status --json` against `pm2 jlist` with N workers running, and what stays in memory: the
// launcher (`start --attach`), the PM2 daemon and bun-pm's health agent, against PM2's daemon
// running the same workers from a tuned ecosystem file.
import { readFileSync } from 'node:fs'
import { interleaved, median, PM2_CLI, processesOfHome, rssMb, timed, waitForBody } from './lib.ts'
import { benchWorkspace, BUILT, commandOf } from './start.ts'
import { agentPidOf, daemonPidOf } from './memory-breakdown.ts'
import { isInDaemonAgentPid } from '../src/model/agent-spec.ts'

/** Medians of `runs` calls each, interleaved, against one daemon running `count` workers that bun-pm started. */
export async function benchStatus(count: number, runs: number): Promise<{ status: number, jlist: number }> {
  const ws = benchWorkspace(count)
  try {
    await timed(commandOf('bun-pm start'), ws.path, ws.env)
    const [status, jlist] = await interleaved([[process.execPath, '--no-env-file', BUILT, 'status', '--json'], ['node', PM2_CLI, 'jlist']], runs, ws.path, ws.env)
    return { status: median(status!), jlist: median(jlist!) }
  }
  finally {
    await ws.remove()
  }
}

export interface MemoryFigures {
  count: number
  launcher: number
  /** bun-pm's daemon (the one it spawns, under bun); with the health checks inside it, it is all of bun-pm's manager. */
  daemon: number
  /** The health agent's own process: 0 when it runs inside the daemon (agentInDaemon). */
  agent: number
  agentInDaemon: boolean
  workers: number
  pm2Daemon: number
  pm2Workers: number
  /** A daemon bun-pm did not spawn (PM2's own CLI started it, under Node), and bun-pm's separate agent in it. */
  foreignDaemon: number
  foreignAgent: number
}

const SETTLE_MS = 2000

/**
 * RSS (MB) of each long-lived process, `SETTLE_MS` after `count` workers answer: bun-pm `start
 * --attach` (its daemon runs the health checks itself), PM2's CLI tuned, and bun-pm started into a
 * daemon PM2's own CLI spawned (`pm2 ping` first: that daemon keeps bun-pm's agent as a process).
 */
export async function benchMemory(count: number): Promise<MemoryFigures> {
  const ours = benchWorkspace(count)
  let figures: Pick<MemoryFigures, 'count' | 'launcher' | 'daemon' | 'agent' | 'agentInDaemon' | 'workers'>
  try {
    const attached = Bun.spawn([process.execPath, '--no-env-file', BUILT, 'start', '--attach'], { cwd: ours.path, env: ours.env, stdout: 'ignore', stderr: 'ignore' })
    await Promise.all(ours.ports.map(port => waitForBody(port, 'up', 60_000)))
    await Bun.sleep(SETTLE_MS)
    const daemon = daemonPidOf(ours.home)
    const agent = agentPidOf(ours.path, ours.env)
    const workers = processesOfHome(ours.home).filter(pid => ![daemon, agent, attached.pid].includes(pid))
    figures = { count, launcher: rssMb(attached.pid), daemon: rssMb(daemon), agent: isInDaemonAgentPid(agent) ? 0 : rssMb(agent), agentInDaemon: isInDaemonAgentPid(agent), workers: workers.reduce((sum, pid) => sum + rssMb(pid), 0) }
    attached.kill('SIGTERM')
    await attached.exited
  }
  finally {
    await ours.remove()
  }
  let pm2: Pick<MemoryFigures, 'pm2Daemon' | 'pm2Workers'>
  const theirs = benchWorkspace(count)
  try {
    await timed(commandOf('pm2 CLI tuned'), theirs.path, theirs.env)
    await Promise.all(theirs.ports.map(port => waitForBody(port, 'up', 60_000)))
    await Bun.sleep(SETTLE_MS)
    const daemon = daemonPidOf(theirs.home)
    const workers = processesOfHome(theirs.home).filter(pid => pid !== daemon)
    pm2 = { pm2Daemon: rssMb(daemon), pm2Workers: workers.reduce((sum, pid) => sum + rssMb(pid), 0) }
  }
  finally {
    await theirs.remove()
  }
  const foreign = benchWorkspace(count)
  try {
    await timed(['node', PM2_CLI, 'ping'], foreign.path, foreign.env)
    await timed(commandOf('bun-pm start'), foreign.path, foreign.env)
    await Promise.all(foreign.ports.map(port => waitForBody(port, 'up', 60_000)))
    await Bun.sleep(SETTLE_MS)
    const agent = agentPidOf(foreign.path, foreign.env)
    if (isInDaemonAgentPid(agent))
      throw new Error('the agent runs inside a daemon bun-pm did not spawn')
    return { ...figures, ...pm2, foreignDaemon: rssMb(daemonPidOf(foreign.home)), foreignAgent: rssMb(agent) }
  }
  finally {
    Bun.spawnSync(['node', PM2_CLI, 'kill'], { cwd: foreign.path, env: foreign.env, stdout: 'ignore', stderr: 'ignore', timeout: 20_000 })
    await foreign.remove()
  }
}

if (import.meta.main) {
  const [count = '200', runs = '5'] = process.argv.slice(2)
  console.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
  const { status, jlist } = await benchStatus(Number(count), Number(runs))
  console.log(`status, ${count} workers (median of ${runs}): pm2 jlist ${jlist.toFixed(0)} ms, bun-pm status --json ${status.toFixed(0)} ms, ratio ${(status / jlist).toFixed(2)}`)
  console.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
}
