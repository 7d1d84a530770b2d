// Issue 22's soak: `bun bench/soak.ts [workers=20] [restarts=1000] [seconds=600] [pm2] [bare] [heap]`.
// `bun start`s N one-line Bun HTTP servers (an HTTP heartbeat each, so the health agent checks every
// one), restarts one of them through PM2 `restarts` times (each time until its new process
// answers), then leaves them `seconds` of heartbeats; reports the resident memory of the PM2 daemon
// and of the health agent at the start, along the way and at the end. Beside it, in the same soak
// (the same restarts at the same moments, one round after another): with `pm2`, the tuned PM2 CLI
// (`pmx: false, automation: false`, its daemon under Node) with the same servers, no agent; with
// `bare`, PM2's daemon under bun as bun-pm spawns it but without bun-pm's two preloads (the same
// servers started by PM2's CLI): what bun and PM2 do without any bun-pm code.
//
// RSS that grows is not yet a leak: bun's allocator and JSC keep what the restarts' churn needed.
// So besides start → end (the issue's rule: +10 % is a leak), the soak reports growth from a
// baseline taken after a warm-up (the first fifth of the restarts), the slope over the second half
// of the restarts and over the heartbeats, the open file descriptors, and the live JS heap after a
// full collection at the start and the end (a preload named in each workspace's bunfig.toml, no
// change to bun-pm; `heap` takes it at every point). Every home is private and removed after
// (`pm2 kill`, then what is left of it by pid).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isInDaemonAgentPid } from '../src/model/agent-spec.ts'
import { agentPidOf, daemonPidOf, load, type Mem, medianMem, memOf, removeWorkspace, spawnDaemonWith } from './memory-breakdown.ts'
import { median, waitForBody, write } from './lib.ts'
import { benchWorkspace, BUILT, commandOf } from './start.ts'
import type { StatusJson } from '../src/types/json.ts'
import { connectRpc } from '../src/pm2/rpc-socket.ts'

export type SoakSubject = 'bun-pm' | 'pm2 tuned (daemon under Node)' | 'pm2 daemon under bun, no bun-pm preloads'

export interface SoakOptions {
  workers: number
  restarts: number
  seconds: number
  subjects: SoakSubject[]
  /** The live JS heap after a full GC: at the start and the end, or at every point. */
  heapAt: 'ends' | 'every'
  log?: (line: string) => void
}

interface Heap { heapMb: number, objects: number }
interface Of { daemon: Mem, agent: Mem | null, agentPid: number | null, daemonFds: number, agentFds: number | null, daemonHeap?: Heap, agentHeap?: Heap }
export interface SoakPoint { label: string, at: number, restarts: number, phase: 'start' | 'restarts' | 'heartbeats', load: string, of: Partial<Record<SoakSubject, Of>> }

export interface SoakFigures {
  start: number
  /** After the warm-up (the first fifth of the restarts). */
  baseline: number
  peak: number
  end: number
  /** MB per 1000 restarts, least squares over the second half of the restarts. */
  restartSlope: number
  /** MB per 10 minutes, least squares over the heartbeats (from the end of the restarts). */
  idleSlope: number
}

export interface SoakResult {
  options: SoakOptions
  points: SoakPoint[]
  warmup: number
  /** Per subject: the median restart until the new process answers, and how s0 ended. */
  restartMs: Partial<Record<SoakSubject, number>>
  ended: Partial<Record<SoakSubject, string>>
  figures: Partial<Record<SoakSubject, { daemon: SoakFigures, agent: SoakFigures | null }>>
  seconds: number
}

/** Samples of each process, a second apart, at each point (their median is the figure). */
const SAMPLES = 3
const SETTLE_MS = 2000

interface Subject {
  name: SoakSubject
  ws: ReturnType<typeof benchWorkspace>
  rpc?: { call: (method: string, arg: unknown) => Promise<unknown>, close: () => void }
  s0?: number
  trigger: string
}

/** A request socket to the daemon of `home` (PM2's own transport): `restartProcessId` as PM2's API sends it. */
/** PM2's RPC socket of `home`, as PM2's CLI calls it (bun-pm's client of it, src/pm2/rpc-socket.ts). */
function rpcTo(home: string): Promise<NonNullable<Subject['rpc']>> {
  return connectRpc(join(home, 'rpc.sock'), 10_000)
}

/** The preload (named in each workspace's bunfig.toml) that makes the daemon and the agent collect fully and write their live heap when `trigger` changes. */
function heapPreload(dir: string, trigger: string): string {
  return `const role = process.env.BUN_PM_AGENT ? 'agent' : process.argv.some(a => a.endsWith('Daemon.js')) ? 'daemon' : null
if (role) {
  const fs = require('node:fs')
  let seen = 0
  setInterval(() => {
    let mtime = 0
    try { mtime = fs.statSync(${JSON.stringify(trigger)}).mtimeMs } catch {}
    if (mtime === seen) return
    seen = mtime
    Bun.gc(true)
    const h = require('bun:jsc').heapStats()
    fs.writeFileSync(${JSON.stringify(dir)} + '/heap-' + role + '.json', JSON.stringify({ heapMb: h.heapSize / 2 ** 20, objects: h.objectCount }))
  }, 250).unref()
}
`
}

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  if (xs.length < 2)
    return Number.NaN
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length
  const my = ys.reduce((a, b) => a + b, 0) / ys.length
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0)
  return sxx === 0 ? Number.NaN : xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / sxx
}

/** Live subjects, removed on Ctrl-C too. */
const live = new Set<Subject>()

export async function benchSoak(options: SoakOptions): Promise<SoakResult> {
  const { workers, restarts, seconds, subjects, heapAt } = options
  const log = options.log ?? (line => console.log(line))
  const warmup = Math.max(1, Math.round(restarts / 5))
  const began = performance.now()
  const started: Subject[] = []
  const points: SoakPoint[] = []
  const times: Partial<Record<SoakSubject, number[]>> = {}
  const ended: SoakResult['ended'] = {}
  const refused: Partial<Record<SoakSubject, number>> = {}
  try {
    log(`soak: ${subjects.join(', ')}; ${workers} workers, ${restarts} restarts of one, ${seconds} s of heartbeats; bun ${Bun.version}; load ${load()}`)
    for (const name of subjects) {
      const ws = benchWorkspace(workers)
      const subject: Subject = { name, ws, trigger: join(ws.path, 'heap-now') }
      live.add(subject)
      started.push(subject)
      if (name !== 'pm2 tuned (daemon under Node)') {
        write(join(ws.path, 'heap-preload.cjs'), heapPreload(ws.path, subject.trigger))
        write(join(ws.path, 'bunfig.toml'), `preload = [${JSON.stringify(join(ws.path, 'heap-preload.cjs'))}]\n`)
      }
      if (name === 'pm2 daemon under bun, no bun-pm preloads')
        await spawnDaemonWith(ws.home, ws.path, ws.env, [])
      const command = commandOf(name === 'bun-pm' ? 'bun-pm start' : 'pm2 CLI tuned')
      const run = Bun.spawnSync(command, { cwd: ws.path, env: ws.env, stdout: 'pipe', stderr: 'pipe', timeout: 180_000 })
      if (run.exitCode !== 0)
        throw new Error(`${name}: ${command.join(' ')} exited ${run.exitCode}: ${run.stderr.toString()}`)
      await Promise.all(ws.ports.map(port => waitForBody(port, 'up', 60_000)))
      subject.rpc = await rpcTo(ws.home)
      const listed = await subject.rpc.call('getMonitorData', {}) as { name: string, pm_id: number }[]
      subject.s0 = listed.find(p => p.name === 's0')!.pm_id
      times[name] = []
    }
    await Bun.sleep(SETTLE_MS)

    const sample = async (label: string, phase: SoakPoint['phase'], done: number, heap: boolean): Promise<void> => {
      const point: SoakPoint = { label, at: (performance.now() - began) / 1000, restarts: done, phase, load: load(), of: {} }
      await Promise.all(started.map(async (s) => {
        const daemonPid = daemonPidOf(s.ws.home)
        // A daemon bun-pm spawned runs its agent inside it: the daemon's figures are both.
        const listedAgent = s.name === 'bun-pm' ? agentPidOf(s.ws.path, s.ws.env) : null
        const agentPid = listedAgent !== null && !isInDaemonAgentPid(listedAgent) ? listedAgent : null
        const daemon: Mem[] = []
        const agent: Mem[] = []
        for (let i = 0; i < SAMPLES; i++) {
          if (i)
            await Bun.sleep(1000)
          daemon.push(memOf(daemonPid))
          if (agentPid)
            agent.push(memOf(agentPid))
        }
        point.of[s.name] = { daemon: medianMem(daemon), agent: agentPid ? medianMem(agent) : null, agentPid, daemonFds: fds(daemonPid), agentFds: agentPid ? fds(agentPid) : null }
      }))
      if (heap) {
        // After the RSS figures: the full collection it asks for lowers them.
        const bunSubjects = started.filter(s => s.name !== 'pm2 tuned (daemon under Node)')
        for (const s of bunSubjects) {
          for (const role of ['daemon', 'agent'])
            rmSync(join(s.ws.path, `heap-${role}.json`), { force: true })
          writeFileSync(s.trigger, String(Date.now()))
        }
        await Bun.sleep(1000)
        for (const s of bunSubjects) {
          const read = (role: string): Heap | undefined => {
            try {
              return JSON.parse(readFileSync(join(s.ws.path, `heap-${role}.json`), 'utf8')) as Heap
            }
            catch {
              return undefined
            }
          }
          point.of[s.name]!.daemonHeap = read('daemon')
          point.of[s.name]!.agentHeap = read('agent')
        }
      }
      points.push(point)
      log(`${point.at.toFixed(0)} s  ${label}, load ${point.load}: ${started.map((s) => {
        const o = point.of[s.name]!
        return `${s.name}: daemon ${o.daemon.rss.toFixed(1)} MB${o.daemonHeap ? ` (heap ${o.daemonHeap.heapMb.toFixed(1)})` : ''}${o.agent ? `, agent ${o.agent.rss.toFixed(1)} MB${o.agentHeap ? ` (heap ${o.agentHeap.heapMb.toFixed(1)})` : ''}` : ''}`
      }).join('; ')}`)
    }

    await sample('start (all answer, +2 s)', 'start', 0, true)
    const every = Math.max(1, Math.round(restarts / 10))
    for (let i = 1; i <= restarts && !stopping; i++) {
      // One round: s0 of every subject restarted at the same moment, each until its new process answers.
      await Promise.all(started.map(async (s) => {
        const t0 = performance.now()
        // PM2 may refuse one (said, counted, and the soak goes on: its worker still has to answer).
        await s.rpc!.call('restartProcessId', { id: s.s0 }).catch((error: Error) => {
          refused[s.name] = (refused[s.name] ?? 0) + 1
          log(`${s.name}: restart ${i} refused by PM2: ${error.message}`)
        })
        await waitForBody(s.ws.ports[0]!, 'up', 30_000)
        times[s.name]!.push(performance.now() - t0)
      }))
      if (i % every === 0 && i < restarts)
        await sample(`after ${i} restarts`, 'restarts', i, heapAt === 'every')
    }
    await Bun.sleep(SETTLE_MS)
    await sample(`after ${restarts} restarts (+2 s)`, 'restarts', restarts, heapAt === 'every')

    const heartbeatsStarted = performance.now()
    const step = Math.max(5, Math.round(seconds / 10))
    while (!stopping && (performance.now() - heartbeatsStarted) / 1000 < seconds - 0.5) {
      await Bun.sleep(Math.min(step, seconds - (performance.now() - heartbeatsStarted) / 1000) * 1000)
      const elapsed = (performance.now() - heartbeatsStarted) / 1000
      const last = elapsed >= seconds - 0.5
      await sample(`heartbeats, ${elapsed.toFixed(0)} s`, 'heartbeats', restarts, last || heapAt === 'every')
    }

    for (const s of started) {
      const listed = await s.rpc!.call('getMonitorData', {}) as { name: string, pm2_env: { restart_time: number, status: string } }[]
      const s0 = listed.find(p => p.name === 's0')!
      let health = ''
      if (s.name === 'bun-pm') {
        const status = JSON.parse(Bun.spawnSync([process.execPath, '--no-env-file', BUILT, 'status', '--json'], { cwd: s.ws.path, env: s.ws.env }).stdout.toString()) as StatusJson
        const notReady = status.workers.filter(w => w.health !== 'ready').map(w => `${w.name} ${w.health}`)
        const agents = new Set(points.map(p => p.of['bun-pm']?.agentPid))
        health = `; workers not ready: ${notReady.length ? notReady.join(', ') : 'none'}; agent pid ${agents.size === 1 ? 'unchanged' : `changed (${[...agents].join(' -> ')})`}`
      }
      ended[s.name] = `s0 restart_time ${s0.pm2_env.restart_time}, ${s0.pm2_env.status}${refused[s.name] ? ` (${refused[s.name]} restart calls refused by PM2)` : ''}${health}`
    }
  }
  finally {
    for (const s of started) {
      s.rpc?.close()
      await removeWorkspace(s.ws)
      live.delete(s)
    }
  }

  const figures: SoakResult['figures'] = {}
  for (const name of subjects) {
    const of = (which: 'daemon' | 'agent'): SoakFigures | null => {
      const rss = (p: SoakPoint) => p.of[name]?.[which]?.rss
      if (rss(points[0]!) === undefined)
        return null
      const secondHalf = points.filter(p => p.phase === 'restarts' && p.restarts >= restarts / 2)
      const idle = points.filter(p => p.phase === 'heartbeats' || (p.phase === 'restarts' && p.restarts === restarts))
      return {
        start: rss(points[0]!)!,
        baseline: rss(points.find(p => p.restarts >= warmup)!)!,
        peak: Math.max(...points.map(p => rss(p)!)),
        end: rss(points.at(-1)!)!,
        restartSlope: slope(secondHalf.map(p => p.restarts), secondHalf.map(p => rss(p)!)) * 1000,
        idleSlope: slope(idle.map(p => p.at), idle.map(p => rss(p)!)) * 600,
      }
    }
    figures[name] = { daemon: of('daemon')!, agent: of('agent') }
  }
  return {
    options,
    points,
    warmup,
    restartMs: Object.fromEntries(subjects.map(n => [n, median(times[n] ?? [])])),
    ended,
    figures,
    seconds: (performance.now() - began) / 1000,
  }
}

let stopping = false

/** The section of bench/RESULTS.md (and what `bun bench/soak.ts` prints). */
export function soakSection(r: SoakResult): string[] {
  const { workers, restarts, seconds, subjects } = r.options
  const mb = (value: number | undefined) => value === undefined ? '–' : value.toFixed(1)
  const pct = (a: number, b: number) => `${b >= a ? '+' : ''}${((b / a - 1) * 100).toFixed(1)} %`
  const signed = (value: number) => Number.isNaN(value) ? '–' : `${value >= 0 ? '+' : ''}${value.toFixed(1)}`
  const verdict = (a: number, b: number) => b / a - 1 <= 0.1 ? 'within 10 %' : 'over 10 %'
  const heap = (h: Heap | undefined) => h ? `${h.heapMb.toFixed(1)} MB / ${h.objects}` : '–'
  const first = r.points[0]!
  const last = r.points.at(-1)!
  const rows: string[] = []
  for (const name of subjects) {
    const f = r.figures[name]!
    for (const [which, fig] of [['daemon', f.daemon], ['agent', f.agent]] as const) {
      if (!fig)
        continue
      const heapOf = (p: SoakPoint) => which === 'daemon' ? p.of[name]?.daemonHeap : p.of[name]?.agentHeap
      const fdsOf = (p: SoakPoint) => which === 'daemon' ? p.of[name]?.daemonFds : p.of[name]?.agentFds
      rows.push(`| ${name}: ${which === 'daemon' ? 'PM2 daemon' : 'health agent'} | ${mb(fig.start)} | ${mb(fig.baseline)} | ${mb(fig.peak)} | ${mb(fig.end)} | ${pct(fig.start, fig.end)} (${verdict(fig.start, fig.end)}) | ${pct(fig.baseline, fig.end)} (${verdict(fig.baseline, fig.end)}) | ${signed(fig.restartSlope)} | ${signed(fig.idleSlope)} | ${fdsOf(first) ?? '–'} → ${fdsOf(last) ?? '–'} | ${heap(heapOf(first))} → ${heap(heapOf(last))} |`)
    }
  }
  return [
    `## Memory over time: ${workers} workers, ${restarts} restarts of one, ${seconds} s of heartbeats`,
    '',
    `\`bun bench/soak.ts ${workers} ${restarts} ${seconds}${subjects.includes('pm2 tuned (daemon under Node)') ? ' pm2' : ''}${subjects.includes('pm2 daemon under bun, no bun-pm preloads') ? ' bare' : ''}\`: \`bun start\` of ${workers} one-line Bun HTTP servers with an HTTP heartbeat each; beside it, in the same soak, ${subjects.filter(s => s !== 'bun-pm').join(' and ') || 'nothing'} with the same servers.`,
    `Each round restarts worker s0 under every manager at once (PM2's \`restartProcessId\`, as \`pm2 restart\` sends it) until its new process answers (median ${subjects.map(n => `${n} ${r.restartMs[n]!.toFixed(0)} ms`).join(', ')}); then ${seconds} s of heartbeats.`,
    `VmRSS in MB, the median of ${SAMPLES} samples a second apart. Baseline: after the warm-up of the first ${r.warmup} restarts. Slopes: least squares, over the second half of the restarts (MB per 1000 restarts) and over the heartbeats (MB per 10 min).`,
    `Live heap: JSC's heap size / objects after a full GC (\`Bun.gc(true)\`), taken after the RSS at the start and the end (a preload in the workspace's bunfig.toml). Load ${first.load} at the start, ${last.load} at the end; ${r.seconds.toFixed(0)} s in all.`,
    '',
    '| process | start | baseline | peak | end | start → end (issue: ≤ 10 %) | baseline → end | MB / 1000 restarts, 2nd half | MB / 10 min idle | open fds | live heap after full GC, start → end |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...subjects.map(n => `${n}: ${r.ended[n]}.`),
    '',
  ]
}

/** Every point, for the record. */
export function soakPoints(r: SoakResult): string[] {
  const names = r.options.subjects
  const cols = names.flatMap(n => n === 'bun-pm' ? [`${n} daemon`, `${n} agent`] : [`${n} daemon`])
  return [
    `| point | s | ${cols.join(' | ')} | load |`,
    `|---|---|${cols.map(() => '---|').join('')}---|`,
    ...r.points.map(p => `| ${p.label} | ${p.at.toFixed(0)} | ${names.flatMap(n => n === 'bun-pm' ? [p.of[n]?.daemon.rss, p.of[n]?.agent?.rss] : [p.of[n]?.daemon.rss]).map(v => v === undefined ? '–' : v.toFixed(1)).join(' | ')} | ${p.load} |`),
  ]
}

if (import.meta.main) {
  const args = process.argv.slice(2)
  const [workers = 20, restarts = 1000, seconds = 600] = args.filter(a => /^\d+$/.test(a)).map(Number)
  const subjects: SoakSubject[] = ['bun-pm', ...(args.includes('pm2') ? ['pm2 tuned (daemon under Node)' as const] : []), ...(args.includes('bare') ? ['pm2 daemon under bun, no bun-pm preloads' as const] : [])]
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopping = true
      void Promise.all([...live].map(s => removeWorkspace(s.ws))).finally(() => process.exit(130))
    })
  }
  const result = await benchSoak({ workers, restarts, seconds, subjects, heapAt: args.includes('heap') ? 'every' : 'ends' })
  console.log()
  console.log(soakSection(result).join('\n'))
  console.log(soakPoints(result).join('\n'))
  process.exit(0)
}
