// PM2's and the agent's events as lines for people: started, ready, restarted and why, crashed,
// errored, for dev and start --attach.

import type { LogPrinter } from './log-printer.ts'
import { isAgentName } from '../model/agent-spec.ts'
import type { HealthWatch } from '../supervise/readiness.ts'
import type { Pm2Client } from '../pm2/client.ts'
import type { PlannedWorker } from '../plan/plan-workers.ts'
import { UnitNames, workerOf } from '../model/units.ts'
import { followDaemonLog } from '../pm2/daemon-log.ts'
import type { Note } from '../types/health.ts'
import { serial } from '../model/serial.ts'
import { exitEvent, haltLines, onlineEvent, reloadLine } from './event-lines.ts'
import { freshLister, instanceOf, type Pm2Bus, type Pm2Packet, type ProcView } from '../pm2/process-view.ts'

/**
 * What follows a worker that stopped for good (errored, or a one-shot job that failed): dev
 * starts it again at the next edit of its files (src/dev/retry-on-edit.ts). The reporter says so
 * and hands it over; it decides nothing of it.
 */
export interface AfterHalt {
  /** True when `worker` is started again this way (its hint is then printed). */
  retries: (worker: PlannedWorker | undefined) => boolean
  arm: (worker: PlannedWorker, unit: string, pmId: number) => void
  /** The unit runs again: nothing to wait for. */
  disarm: (unit: string) => void
  close: () => void
}

export interface EventReporter {
  /** The workers of the plan now applied, for what to watch once errored. */
  setWorkers: (workers: PlannedWorker[]) => void
  /** Mark units (`web`, `web#1`) whose next exit is ours (a stop or a replacement), not a crash. */
  expectExit: (units: string[]) => void
  /** Resolves once every event heard so far has been said: a summary printed after it comes after their lines. */
  said: () => Promise<void>
  close: () => void
}

/**
 * Turns PM2's bus and the health agent's notes into what a developer reads: each worker's output
 * through `printer`, and a launcher line for each lifecycle event — started, exited, restarted
 * (and why), ready, unhealthy, crash-looping, errored.
 */
export function reportEvents({ bus, client, health, namespace, printer, daemonLog, names, retry }: {
  bus: Pm2Bus
  client: Pm2Client
  /** The health agent's word: its notes are printed in order with PM2's events. */
  health: HealthWatch
  /** Report only this namespace's processes (default: every process of the daemon). */
  namespace?: string
  printer: LogPrinter
  daemonLog: string
  /** Report only these workers (default: every process of the namespace). */
  names?: string[]
  /** dev: an errored worker starts again when a file it watches changes. */
  retry?: AfterHalt
}): EventReporter {
  const workers = new Map<string, PlannedWorker>()
  const pids = new Map<string, number>()
  const loads = new Map<string, number>()
  const reasons = new Map<string, string>()
  const expected = new Set<string>()
  const stopped = new Set<string>()

  // Everything below is said per unit: a worker's name, or `web#1` for one of its replicas.
  const ids = new Map<string, number>()
  const units = new UnitNames()
  const isOurs = (unit: string, ns?: string) => (namespace === undefined || ns === namespace) && !isAgentName(unit) && (!names || names.includes(workerOf(unit)))
  const ours = (packet: Pm2Packet) => isOurs(packet.process.name, packet.process.namespace)
  /** Events carry the instance index; logs and messages only pm_id, learnt from the events before them. */
  const unitOf = (packet: Pm2Packet) => {
    const { name, pm_id: pmId } = packet.process
    if (packet.event === undefined)
      return units.of(pmId, name)
    const unit = units.learn(pmId, name, instanceOf(packet.process), workers.get(name)?.replicas ?? 1)
    ids.set(unit, pmId)
    return unit
  }
  const stopFollowing = followDaemonLog(daemonLog, ({ pmId, name, reason }) => {
    const target = (pmId === undefined ? undefined : units.known(pmId)) ?? name
    if (target)
      reasons.set(target, reason)
  })

  for (const stream of ['out', 'err'] as const) {
    bus.on(`log:${stream}`, (packet) => {
      if (ours(packet))
        printer.chunk(unitOf(packet), stream, String(packet.data ?? ''))
    })
  }

  // bun-pm's entry says `loaded` each time a bun worker's code (re)loads; the same pid twice is a
  // `bun --watch` reload in place.
  bus.on('process:msg', (packet) => {
    const data = packet.data as Record<string, unknown> | undefined
    if (!ours(packet) || data?.['bun-pm'] !== 'loaded')
      return
    const name = unitOf(packet)
    const line = reloadLine(name, loads.get(name), Number(data.pid))
    if (line)
      printer.info(line, { event: 'reloaded', worker: workerOf(name), unit: name, pid: Number(data.pid) })
    loads.set(name, Number(data.pid))
  })

  // One event at a time, in the order they came: an `online` waits for the pid, and an `exit` or
  // a note of the agent right behind it must not overtake it.
  const events = serial(error => printer.info(`bun-pm could not report an event: ${(error as Error).stack ?? error}`))
  const enqueue = events.push
  // An online event's pid is in a listing made after it; the events of one burst share one.
  const listFresh = freshLister(() => client.list())
  bus.on('process:event', (packet) => {
    if (ours(packet)) {
      const unit = unitOf(packet)
      const listing = packet.event === 'online' ? listFresh().catch(() => []) : undefined
      enqueue(() => onEvent(packet, unit, listing))
    }
  })
  // The watch hears only this namespace's agent (dev: the session's).
  health.onNotes(notes => enqueue(() => notes.filter(note => isOurs(note.name, namespace)).forEach(onNote)))

  const onEvent = async (packet: Pm2Packet, name: string, listing: Promise<ProcView[]> | undefined) => {
    const { pm_id } = packet.process
    if (packet.event === 'online') {
      const pid = (await listing ?? []).find(proc => proc.pmId === pm_id)?.pid
      const previous = pids.get(name)
      stopped.delete(name)
      const reason = reasons.get(name)
      reasons.delete(name)
      const { text, ...said } = onlineEvent(name, pid, { ranBefore: previous !== undefined, expected: expected.has(name), reason })
      printer.info(text, { ...said, worker: workerOf(name), unit: name, ...(pid ? { pid } : {}) })
      if (pid)
        pids.set(name, pid)
      expected.delete(name)
      retry?.disarm(name)
    }
    else if (packet.event === 'exit') {
      printer.flush(name)
      const said = exitEvent(name, packet.process.exit_signal ? packet.process.exit_signal : packet.process.exit_code, { expected: expected.has(name), reasonKnown: reasons.has(name), saidAlready: stopped.has(name) })
      stopped.add(name)
      if (said) {
        const { text, ...event } = said
        printer.info(text, { ...event, worker: workerOf(name), unit: name, ...(pids.has(name) ? { pid: pids.get(name) } : {}) })
      }
    }
  }

  const onNote = (note: Note) => {
    const { name, kind, text } = note
    if (kind === 'restart') {
      // The agent restarts it through PM2: the exit is asked for, and the restart line says why.
      reasons.set(name, note.reason ?? text)
      expected.add(name)
      return
    }
    const about = { worker: workerOf(name), unit: name, ...(pids.has(name) ? { pid: pids.get(name) } : {}) }
    if (kind !== 'errored' && kind !== 'failed' && kind !== 'exited') {
      printer.info(text, { event: kind, ...about })
      return
    }
    const worker = workers.get(workerOf(name))
    const retries = retry?.retries(worker) ?? false
    // Its last lines go below the note (a failure at startup printed its error just above).
    const lastLines = kind === 'failed' ? [] : printer.lastLines(name)
    const [line] = haltLines({ ...note, kind }, { retries, lastLines })
    // Watching before saying "edit its files": a save made the moment the line shows is seen.
    const pmId = ids.get(name)
    if (kind !== 'failed' && worker && retries && pmId !== undefined)
      retry?.arm(worker, name, pmId)
    printer.info(line!, { event: kind, ...about, ...(lastLines.length ? { lastLines } : {}) })
  }

  return {
    setWorkers(list) {
      workers.clear()
      for (const worker of list)
        workers.set(worker.name, worker)
    },
    expectExit(units) {
      units.forEach(unit => expected.add(unit))
    },
    said: () => events.run(() => {}),
    close() {
      stopFollowing()
      retry?.close()
    },
  }
}
