import { watch } from 'node:fs'
import { dirname } from 'node:path'
import type { LogPrinter } from './log-printer.ts'
import type { Pm2Bus, Pm2Client, Pm2Packet } from '../pm2/client.ts'
import type { PlannedWorker } from '../workspace/plan-workers.ts'
import { followDaemonLog } from '../pm2/daemon-log.ts'

export interface EventReporter {
  /** The workers of the plan now applied, for restart limits and what to watch once errored. */
  setWorkers: (workers: PlannedWorker[]) => void
  /** Mark names whose next exit is ours (a stop or a replacement), not a crash. */
  expectExit: (names: string[]) => void
  /** Resolves once the start of each of these processes has been reported (or after `timeoutMs`). */
  reported: (pids: Map<string, number>, timeoutMs: number) => Promise<void>
  close: () => void
}

/**
 * Turns PM2's bus into what a developer reads: each worker's output through `printer`, and a
 * launcher line for each lifecycle event — started, exited, restarted (and why), errored.
 */
export function reportEvents({ bus, client, namespace, printer, daemonLog, names, restartErroredOnEdit = false }: {
  bus: Pm2Bus
  client: Pm2Client
  /** Report only this namespace's processes (default: every process of the daemon). */
  namespace?: string
  printer: LogPrinter
  daemonLog: string
  /** Report only these workers (default: every process of the namespace). */
  names?: string[]
  /** dev: an errored worker starts again when a file in its script's folder changes. */
  restartErroredOnEdit?: boolean
}): EventReporter {
  const workers = new Map<string, PlannedWorker>()
  const pids = new Map<string, number>()
  const loads = new Map<string, number>()
  const reasons = new Map<string, string>()
  const expected = new Set<string>()
  const stopped = new Set<string>()
  const erroredWatchers = new Map<string, () => void>()

  const ids = new Map<string, number>()
  const ours = (packet: Pm2Packet) => (namespace === undefined || packet.process.namespace === namespace) && (!names || names.includes(packet.process.name))
  const stopFollowing = followDaemonLog(daemonLog, ({ pmId, name, reason }) => {
    const target = name ?? [...ids].find(([, id]) => id === pmId)?.[0]
    if (target)
      reasons.set(target, reason)
  })

  for (const stream of ['out', 'err'] as const) {
    bus.on(`log:${stream}`, (packet) => {
      if (ours(packet))
        printer.chunk(packet.process.name, stream, String(packet.data ?? ''))
    })
  }

  // The preload says `loaded` each time a bun worker's code (re)loads; the same pid twice is a
  // `bun --watch` reload in place.
  bus.on('process:msg', (packet) => {
    const data = packet.data as Record<string, unknown> | undefined
    if (!ours(packet) || data?.['bun-pm'] !== 'loaded')
      return
    const name = packet.process.name
    if (loads.get(name) === data.pid)
      printer.info(`${name} reloaded its code (file change)`)
    loads.set(name, Number(data.pid))
  })

  // One event at a time, in the order PM2 sent them: an `online` waits for the pid, and an `exit`
  // right behind it must not overtake it.
  let queue = Promise.resolve()
  bus.on('process:event', (packet) => {
    if (ours(packet))
      queue = queue.then(() => onEvent(packet)).catch(() => {})
  })
  const onEvent = async (packet: Pm2Packet) => {
    const { name, pm_id } = packet.process
    ids.set(name, pm_id)
    if (packet.event === 'online') {
      const pid = (await client.list().catch(() => [])).find(proc => proc.pm_id === pm_id)?.pid
      const previous = pids.get(name)
      stopped.delete(name)
      const reason = reasons.get(name)
      reasons.delete(name)
      const withPid = pid ? ` (pid ${pid})` : ''
      printer.info(previous && !expected.has(name)
        ? `${name} restarted${withPid}: ${reason ?? 'after it exited'}`
        : `${name} started${withPid}`)
      if (pid)
        pids.set(name, pid)
      expected.delete(name)
      erroredWatchers.get(name)?.()
      erroredWatchers.delete(name)
    }
    else if (packet.event === 'exit') {
      printer.flush(name)
      // PM2 reports a deleted process's exit twice.
      if (stopped.has(name))
        return
      stopped.add(name)
      printer.info(expected.has(name) ? `${name} stopped` : `${name} exited (code ${packet.process.exit_code ?? 0})`)
    }
    else if (packet.event === 'restart overlimit') {
      const worker = workers.get(name)
      const last = printer.lastLines(name)
      const hint = restartErroredOnEdit && worker?.options.watch !== false ? '; edit its files to start it again' : ''
      printer.info(`${name} errored: it crashed ${worker?.options.max_restarts ?? ''} times in a row, so PM2 gave up. The other workers keep running${hint}.${last.length ? ' Its last lines:' : ''}`)
      for (const line of last)
        printer.info(`  ${line}`)
      if (worker && restartErroredOnEdit && worker.options.watch !== false)
        erroredWatchers.set(name, restartOnEdit(worker, () => {
          printer.info(`${name} restarting: its files changed`)
          void client.restart(pm_id).catch(error => printer.info(`${name} could not be restarted: ${(error as Error).message}`))
        }))
    }
  }

  return {
    setWorkers(list) {
      workers.clear()
      for (const worker of list)
        workers.set(worker.name, worker)
    },
    expectExit(names) {
      names.forEach(name => expected.add(name))
    },
    async reported(wanted, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      while ([...wanted].some(([name, pid]) => pids.get(name) !== pid) && Date.now() < deadline)
        await Bun.sleep(10)
    },
    close() {
      stopFollowing()
      erroredWatchers.forEach(stop => stop())
    },
  }
}

/** Watches an errored worker's script folder; the first change restarts it. */
function restartOnEdit(worker: PlannedWorker, restart: () => void): () => void {
  const watcher = watch(dirname(worker.script), { recursive: true }, (_event, file) => {
    if (file && /(^|\/)(node_modules|\.git|dist)(\/|$)|\.log$/.test(String(file)))
      return
    watcher.close()
    restart()
  })
  return () => watcher.close()
}
