// Issue 22's soak: `bun bench/soak.ts [workers=20] [restarts=1000] [seconds=600]`. `bun start`s N
// one-line Bun HTTP servers (an HTTP heartbeat each, so the health agent checks every one), restarts
// one of them through PM2 `restarts` times (each time until its new process answers), then leaves
// them `seconds` of heartbeats; reports the resident memory of the PM2 daemon and of the health
// agent at the start, along the way and at the end. The home is private, and removed after
// (`pm2 kill`, then what is left of it by pid).
import { load, medianMem, type Mem, memOf, agentPidOf, daemonPidOf, removeWorkspace } from './memory-breakdown.ts'
import { median, waitForBody } from './lib.ts'
import { benchWorkspace, BUILT, commandOf } from './start.ts'
import type { StatusJson } from '../src/types/json.ts'

const [workers = 20, restarts = 1000, seconds = 600] = process.argv.slice(2).map(Number)
/** Samples of each process, a second apart, at each point (their median is the figure). */
const SAMPLES = 3
const SETTLE_MS = 2000

interface Point { label: string, daemon: Mem, agent: Mem, agentPid: number, load: string, at: number }

const ws = benchWorkspace(workers)
const began = performance.now()
let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopping = true
    void removeWorkspace(ws).finally(() => process.exit(130))
  })
}

async function sample(label: string): Promise<Point> {
  const daemonPid = daemonPidOf(ws.home)
  const agentPid = agentPidOf(ws.path, ws.env)
  const daemon: Mem[] = []
  const agent: Mem[] = []
  for (let i = 0; i < SAMPLES; i++) {
    if (i)
      await Bun.sleep(1000)
    daemon.push(memOf(daemonPid))
    agent.push(memOf(agentPid))
  }
  const point = { label, daemon: medianMem(daemon), agent: medianMem(agent), agentPid, load: load(), at: (performance.now() - began) / 1000 }
  console.log(`${point.at.toFixed(0)} s  ${label}: daemon ${point.daemon.rss.toFixed(1)} MB (anon ${point.daemon.anon.toFixed(1)}), agent ${point.agent.rss.toFixed(1)} MB (anon ${point.agent.anon.toFixed(1)}, pid ${agentPid}), load ${point.load}`)
  return point
}

const points: Point[] = []
let client: Awaited<ReturnType<typeof import('../src/pm2/light-client.ts')['connectLight']>> | undefined
try {
  console.log(`soak: ${workers} workers, ${restarts} restarts of one, ${seconds} s of heartbeats; bun ${Bun.version}; load ${load()}`)
  const started = Bun.spawnSync(commandOf('bun-pm start'), { cwd: ws.path, env: ws.env, stdout: 'pipe', stderr: 'pipe', timeout: 180_000 })
  if (started.exitCode !== 0)
    throw new Error(`bun start exited ${started.exitCode}: ${started.stderr.toString()}`)
  await Promise.all(ws.ports.map(port => waitForBody(port, 'up', 60_000)))
  await Bun.sleep(SETTLE_MS)
  points.push(await sample('start (all answer, +2 s)'))

  // PM2's API reads PM2_HOME as it loads.
  process.env.PM2_HOME = ws.home
  const { connectLight } = await import('../src/pm2/light-client.ts')
  client = await connectLight(ws.home)
  const target = (await client.list()).find(p => p.name === 's0')!
  const every = Math.max(1, Math.round(restarts / 5))
  /** Each restart, from the call until the new process answers. */
  const restartTimes: number[] = []
  for (let i = 1; i <= restarts && !stopping; i++) {
    const t0 = performance.now()
    await client.restart(target.pmId)
    await waitForBody(ws.ports[0]!, 'up', 30_000)
    restartTimes.push(performance.now() - t0)
    if (i % every === 0 && i < restarts)
      points.push(await sample(`after ${i} restarts`))
  }
  const restartSeconds = restartTimes.reduce((a, b) => a + b, 0) / 1000
  console.log(`restarts: ${restartTimes.length}, ${restartSeconds.toFixed(0)} s in all, median ${median(restartTimes).toFixed(0)} ms each until the new process answers`)
  await Bun.sleep(SETTLE_MS)
  points.push(await sample(`after ${restarts} restarts (${restartSeconds.toFixed(0)} s, +2 s)`))

  const heartbeatsStarted = performance.now()
  const step = Math.max(10, Math.round(seconds / 4))
  while (!stopping && (performance.now() - heartbeatsStarted) / 1000 < seconds - 0.5) {
    await Bun.sleep(Math.min(step, seconds - (performance.now() - heartbeatsStarted) / 1000) * 1000)
    const elapsed = (performance.now() - heartbeatsStarted) / 1000
    points.push(await sample(`heartbeats, ${elapsed.toFixed(0)} s`))
  }

  const listed = await client.list()
  const s0 = listed.find(p => p.name === 's0')!
  const status = JSON.parse(Bun.spawnSync([process.execPath, '--no-env-file', BUILT, 'status', '--json'], { cwd: ws.path, env: ws.env }).stdout.toString()) as StatusJson
  const unhealthy = status.workers.filter(w => w.health !== 'ready').map(w => ({ name: w.name, health: w.health, status: w.status, reason: w.reason }))
  const first = points[0]!
  const last = points.at(-1)!
  const pct = (a: number, b: number) => `${b >= a ? '+' : ''}${((b / a - 1) * 100).toFixed(1)} %`
  console.log()
  console.log(`| point | s | daemon VmRSS | daemon RssAnon | daemon USS | agent VmRSS | agent RssAnon | agent USS | load (1/5/15) |`)
  console.log(`|---|---|---|---|---|---|---|---|---|`)
  for (const p of points)
    console.log(`| ${p.label} | ${p.at.toFixed(0)} | ${p.daemon.rss.toFixed(1)} | ${p.daemon.anon.toFixed(1)} | ${p.daemon.uss.toFixed(1)} | ${p.agent.rss.toFixed(1)} | ${p.agent.anon.toFixed(1)} | ${p.agent.uss.toFixed(1)} | ${p.load} |`)
  console.log(`| growth, start to end | | ${pct(first.daemon.rss, last.daemon.rss)} | ${pct(first.daemon.anon, last.daemon.anon)} | ${pct(first.daemon.uss, last.daemon.uss)} | ${pct(first.agent.rss, last.agent.rss)} | ${pct(first.agent.anon, last.agent.anon)} | ${pct(first.agent.uss, last.agent.uss)} | |`)
  console.log()
  console.log(`s0: PM2 restart_time ${s0.restarts}, status ${s0.status}; agent pid ${first.agentPid === last.agentPid ? `unchanged (${last.agentPid})` : `changed ${first.agentPid} -> ${last.agentPid}`}; workers status --json does not call ready: ${unhealthy.length ? JSON.stringify(unhealthy) : 'none'}`)
  console.log(`whole soak: ${((performance.now() - began) / 1000).toFixed(0)} s`)
}
finally {
  client?.disconnect()
  await removeWorkspace(ws)
}
process.exit(0)
