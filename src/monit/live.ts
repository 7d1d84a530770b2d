// What monit draws, kept live from the light client: PM2's listing (polled, and again at each of
// PM2's events), the health agent's word (its bus messages, its state file), each unit's memory
// samples and output; listeners are told at most a few times a second.
import { agentName } from '../model/agent-spec.ts'
import { UnitNames } from '../model/units.ts'
import { readSnapshot, stateFilePath } from '../agent/state-file.ts'
import { toStatusRows } from '../report/status-table.ts'
import { freshLister, instanceOf, type Pm2Bus, type ProcView } from '../pm2/process-view.ts'
import type { Pm2Client } from '../pm2/client.ts'
import type { AgentWord, HealthSnapshot } from '../types/agent.ts'
import type { StatusRow } from '../types/json.ts'
import { tail } from '../start/failures.ts'
import { agentAdvice, type Target, targetProcs } from '../start/target.ts'
import { LogBuffer } from './log-buffer.ts'
import { recordSamples } from './sparkline.ts'

/** Between two samples of the listing (CPU, memory); PM2's events bring a fresh listing sooner. */
const POLL_MS = 2000
/** Listeners are told at most this often. */
const NOTIFY_MS = 250
/** A unit's lines read from its log files when it is first shown. */
const SEEDED_LINES = 50

export interface Live {
  /** One row per unit, as `status` makes them, at this moment. */
  rows: () => StatusRow[]
  samples: (unit: string) => readonly number[]
  logs: LogBuffer
  /** The latest thing the health agent (or PM2's client) said, in a line. */
  lastNote: () => { text: string, at: number } | undefined
  /** Says `text` as the latest note. */
  note: (text: string) => void
  /** The listing as last read (for the actions: which processes run a worker). */
  procs: () => ProcView[]
  /** The unit whose output is on screen: its new lines ask for a redraw, and its log files are read for it once. */
  show: (unit: string | null) => void
  /** Reads the listing and the agent's state again now (after an action). */
  refresh: () => void
  subscribe: (listener: () => void) => void
  close: () => void
}

/** The target's units on its daemon (`target.home`), live; `client` and `bus` are the caller's. */
export function watchLive({ client, bus, target }: { client: Pm2Client, bus: Pm2Bus, target: Target }): Live {
  const { home, workers, workspace: { namespace } } = target
  const agent = agentName(namespace)
  const list = freshLister(() => client.list())
  const units = new UnitNames()
  const logs = new LogBuffer()
  const seeded = new Set<string>()
  let all: ProcView[] = []
  let snapshot: HealthSnapshot | undefined
  let samples = new Map<string, number[]>()
  let note: { text: string, at: number } | undefined
  let shown: string | null = null
  let closed = false
  const listeners: (() => void)[] = []

  const mine = () => targetProcs(all, target)
  const rows = () => toStatusRows(mine(), workers, {
    snapshot,
    agentRunning: all.some(p => p.namespace === namespace && p.name === agent && p.status === 'online' && p.pid !== null),
    agentAdvice: agentAdvice(target.source),
  })

  let notifyTimer: ReturnType<typeof setTimeout> | undefined
  let notifiedAt = 0
  // What a change must touch to be drawn at once; the rest (a check's age, CPU, memory) waits for the screen's next tick.
  let drawn = ''
  const changed = () => {
    const now = rows().map(r => `${r.name} ${r.status} ${r.health} ${r.pid} ${r.restarts} ${r.reason}`).join('\n') + (note?.at ?? '')
    if (now === drawn)
      return false
    drawn = now
    return true
  }
  const notify = (always = false) => {
    if (closed || notifyTimer || !(changed() || always))
      return
    notifyTimer = setTimeout(() => {
      notifyTimer = undefined
      notifiedAt = Date.now()
      listeners.forEach(listener => listener())
    }, Math.max(0, notifiedAt + NOTIFY_MS - Date.now()))
  }

  const read = async (sample: boolean) => {
    try {
      all = await list()
    }
    catch {
      return
    }
    units.learnListing(mine())
    // The file is the agent's word when its bus message was missed (monit started, a reconnect).
    const written = readSnapshot(stateFilePath(home, namespace))
    if (written && written.writtenAt > (snapshot?.writtenAt ?? 0))
      snapshot = written
    const current = rows()
    if (sample)
      samples = recordSamples(samples, current)
    logs.keepOnly(new Set(current.map(r => r.name)))
    seed()
    notify()
  }
  // The output files of the unit shown, once: what it printed before monit started.
  const seed = () => {
    if (shown === null || seeded.has(shown))
      return
    const proc = mine().find(p => units.known(p.pmId) === shown)
    if (!proc)
      return
    seeded.add(shown)
    logs.seed(shown, [...tail(proc.outLog, SEEDED_LINES).map(text => ({ stream: 'out' as const, text })), ...tail(proc.errLog, SEEDED_LINES).map(text => ({ stream: 'err' as const, text }))])
  }

  let soon: ReturnType<typeof setTimeout> | undefined
  const readSoon = () => {
    soon ??= setTimeout(() => {
      soon = undefined
      void read(false)
    }, 50)
  }
  bus.on('process:event', (packet) => {
    if (packet.process.namespace !== namespace)
      return
    // A new process's unit, before its first line comes (the next listing would be too late for it).
    const { name, pm_id: pmId } = packet.process
    units.learn(pmId, name, instanceOf(packet.process), workers.find(w => w.name === name)?.replicas ?? 1)
    readSoon()
  })
  bus.on('process:msg', (packet) => {
    const data = packet.data as Partial<AgentWord> | undefined
    if (packet.process.name !== agent || packet.process.namespace !== namespace || data?.['bun-pm'] !== 'health' || !data.processes)
      return
    snapshot = { namespace, agentPid: data.agent ?? 0, writtenAt: Date.now(), processes: data.processes, spec: snapshot?.spec }
    const last = data.notes?.at(-1)
    if (last)
      note = { text: last.text, at: Date.now() }
    notify()
  })
  for (const stream of ['out', 'err'] as const) {
    bus.on(`log:${stream}`, (packet) => {
      if (packet.process.namespace !== namespace || packet.process.name === agent)
        return
      const unit = units.of(packet.process.pm_id, packet.process.name)
      logs.chunk(unit, stream, String(packet.data ?? ''))
      if (unit === shown)
        notify(true)
    })
  }

  void read(true)
  const poll = setInterval(() => void read(true), POLL_MS)
  return {
    rows,
    samples: unit => samples.get(unit) ?? [],
    logs,
    lastNote: () => note,
    note(text) {
      note = { text, at: Date.now() }
      notify(true)
    },
    procs: mine,
    show(unit) {
      if (unit === shown)
        return
      shown = unit
      seed()
      notify(true)
    },
    refresh: readSoon,
    subscribe: listener => void listeners.push(listener),
    close() {
      closed = true
      clearInterval(poll)
      clearTimeout(soon)
      clearTimeout(notifyTimer)
    },
  }
}
