// Issue 22's soak: `bun bench/soak.ts [workers=20] [restarts=1000] [seconds=600] [pm2]`. `bun start`s N
// one-line Bun HTTP servers (an HTTP heartbeat each, so the health agent checks every one), restarts
// one of them through PM2 `restarts` times (each time until its new process answers), then leaves
// them `seconds` of heartbeats; reports the resident memory of the PM2 daemon and of the health
// agent at the start, along the way and at the end. The home is private, and removed after
// (`pm2 kill`, then what is left of it by pid). With `heap`, a preload named in the bench
// workspace's bunfig.toml (no change to bun-pm; PM2 does not hand the agent BUN_OPTIONS) makes the daemon and the agent, at each point, collect their garbage fully
// and write JSC's heap size and object count: a live heap that keeps growing is a leak, RSS that
// rises and falls with the collector is not. With `pm2`, the peer: the tuned PM2 CLI
// (`pmx: false, automation: false`, its daemon under Node) runs the same servers, no agent.
import { load, medianMem, type Mem, memOf, agentPidOf, daemonPidOf, removeWorkspace } from './memory-breakdown.ts'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { median, waitForBody, write } from './lib.ts'
import { benchWorkspace, BUILT, commandOf } from './start.ts'
import type { StatusJson } from '../src/types/json.ts'

const peer = process.argv.includes('pm2')
const heap = process.argv.includes('heap') && !peer
const [workers = 20, restarts = 1000, seconds = 600] = process.argv.slice(2).filter(a => a !== 'pm2' && a !== 'heap').map(Number)
/** Samples of each process, a second apart, at each point (their median is the figure). */
const SAMPLES = 3
const SETTLE_MS = 2000

interface Heap { heapMb: number, objects: number }
interface Point { label: string, daemon: Mem, agent: Mem | null, agentPid: number | null, load: string, at: number, daemonHeap?: Heap, agentHeap?: Heap }

const ws = benchWorkspace(workers)
const TRIGGER = join(ws.path, 'heap-now')
const HEAP_PRELOAD = join(ws.path, 'heap-preload.cjs')
// Every bun process started in the workspace loads it (bunfig.toml in their cwd); only the daemon and the agent act.
write(HEAP_PRELOAD, `const role = process.env.BUN_PM_AGENT ? 'agent' : process.argv.some(a => a.endsWith('Daemon.js')) ? 'daemon' : null
if (role) {
  const fs = require('node:fs')
  let seen = 0
  setInterval(() => {
    let mtime = 0
    try { mtime = fs.statSync(${JSON.stringify(TRIGGER)}).mtimeMs } catch {}
    if (mtime === seen) return
    seen = mtime
    Bun.gc(true)
    const h = require('bun:jsc').heapStats()
    fs.writeFileSync(${JSON.stringify(ws.path)} + '/heap-' + role + '.json', JSON.stringify({ heapMb: h.heapSize / 2 ** 20, objects: h.objectCount }))
  }, 250).unref()
}
`)
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
  const agentPid = peer ? null : agentPidOf(ws.path, ws.env)
  const daemon: Mem[] = []
  const agent: Mem[] = []
  for (let i = 0; i < SAMPLES; i++) {
    if (i)
      await Bun.sleep(1000)
    daemon.push(memOf(daemonPid))
    if (agentPid)
      agent.push(memOf(agentPid))
  }
  const point: Point = { label, daemon: medianMem(daemon), agent: agentPid ? medianMem(agent) : null, agentPid, load: load(), at: (performance.now() - began) / 1000 }
  console.log(`${point.at.toFixed(0)} s  ${label}: daemon ${point.daemon.rss.toFixed(1)} MB (anon ${point.daemon.anon.toFixed(1)})${point.agent ? `, agent ${point.agent.rss.toFixed(1)} MB (anon ${point.agent.anon.toFixed(1)}, pid ${agentPid})` : ''}, load ${point.load}`)
  if (heap) {
    // After the RSS figures: the full collection it asks for would lower them.
    for (const role of ['daemon', 'agent'])
      rmSync(join(ws.path, `heap-${role}.json`), { force: true })
    writeFileSync(TRIGGER, String(Date.now()))
    await Bun.sleep(1000)
    const read = (role: string): Heap | undefined => {
      try {
        return JSON.parse(readFileSync(join(ws.path, `heap-${role}.json`), 'utf8')) as Heap
      }
      catch {
        return undefined
      }
    }
    point.daemonHeap = read('daemon')
    point.agentHeap = read('agent')
    console.log(`   after a full GC: daemon heap ${point.daemonHeap?.heapMb.toFixed(1)} MB, ${point.daemonHeap?.objects} objects; agent heap ${point.agentHeap?.heapMb.toFixed(1)} MB, ${point.agentHeap?.objects} objects`)
  }
  return point
}

const points: Point[] = []
let client: Awaited<ReturnType<typeof import('../src/pm2/light-client.ts')['connectLight']>> | undefined
try {
  console.log(`soak: ${peer ? 'the tuned PM2 CLI (daemon under Node)' : 'bun start'}, ${workers} workers, ${restarts} restarts of one, ${seconds} s${peer ? '' : ' of heartbeats'}; bun ${Bun.version}; load ${load()}`)
  if (heap)
    write(join(ws.path, 'bunfig.toml'), `preload = [${JSON.stringify(HEAP_PRELOAD)}]\n`)
  const started = Bun.spawnSync(commandOf(peer ? 'pm2 CLI tuned' : 'bun-pm start'), { cwd: ws.path, env: ws.env, stdout: 'pipe', stderr: 'pipe', timeout: 180_000 })
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
  const label = peer ? 'idle' : 'heartbeats'
  const step = Math.max(10, Math.round(seconds / 4))
  while (!stopping && (performance.now() - heartbeatsStarted) / 1000 < seconds - 0.5) {
    await Bun.sleep(Math.min(step, seconds - (performance.now() - heartbeatsStarted) / 1000) * 1000)
    const elapsed = (performance.now() - heartbeatsStarted) / 1000
    points.push(await sample(`${label}, ${elapsed.toFixed(0)} s`))
  }

  const listed = await client.list()
  const s0 = listed.find(p => p.name === 's0')!
  const unhealthy = peer ? [] : (JSON.parse(Bun.spawnSync([process.execPath, '--no-env-file', BUILT, 'status', '--json'], { cwd: ws.path, env: ws.env }).stdout.toString()) as StatusJson).workers.filter(w => w.health !== 'ready').map(w => ({ name: w.name, health: w.health, status: w.status, reason: w.reason }))
  const first = points[0]!
  const last = points.at(-1)!
  const pct = (a: number | undefined, b: number | undefined) => a === undefined || b === undefined ? '–' : `${b >= a ? '+' : ''}${((b / a - 1) * 100).toFixed(1)} %`
  const mb = (value: number | undefined) => value === undefined ? '–' : value.toFixed(1)
  console.log()
  const h = (x: Heap | undefined) => x ? `${x.heapMb.toFixed(1)} MB / ${x.objects}` : '–'
  const heapCols = heap ? ' daemon JSC heap after full GC (size / objects) | agent JSC heap after full GC |' : ''
  console.log(`| point | s | daemon VmRSS | daemon RssAnon | daemon USS | agent VmRSS | agent RssAnon | agent USS |${heapCols} load (1/5/15) |`)
  console.log(`|---|---|---|---|---|---|---|---|${heap ? '---|---|' : ''}---|`)
  for (const p of points)
    console.log(`| ${p.label} | ${p.at.toFixed(0)} | ${mb(p.daemon.rss)} | ${mb(p.daemon.anon)} | ${mb(p.daemon.uss)} | ${mb(p.agent?.rss)} | ${mb(p.agent?.anon)} | ${mb(p.agent?.uss)} |${heap ? ` ${h(p.daemonHeap)} | ${h(p.agentHeap)} |` : ''} ${p.load} |`)
  console.log(`| growth, start to end | | ${pct(first.daemon.rss, last.daemon.rss)} | ${pct(first.daemon.anon, last.daemon.anon)} | ${pct(first.daemon.uss, last.daemon.uss)} | ${pct(first.agent?.rss, last.agent?.rss)} | ${pct(first.agent?.anon, last.agent?.anon)} | ${pct(first.agent?.uss, last.agent?.uss)} |${heap ? ` ${pct(first.daemonHeap?.heapMb, last.daemonHeap?.heapMb)} | ${pct(first.agentHeap?.heapMb, last.agentHeap?.heapMb)} |` : ''} |`)
  console.log()
  console.log(`s0: PM2 restart_time ${s0.restarts}, status ${s0.status}; agent pid ${first.agentPid === last.agentPid ? `unchanged (${last.agentPid})` : `changed ${first.agentPid} -> ${last.agentPid}`}; workers status --json does not call ready: ${unhealthy.length ? JSON.stringify(unhealthy) : 'none'}`)
  console.log(`whole soak: ${((performance.now() - began) / 1000).toFixed(0)} s`)
}
finally {
  client?.disconnect()
  await removeWorkspace(ws)
}
process.exit(0)
