// One live line while a command waits (`starting 37 of 50 · ready 31 · waiting on db`), on a terminal only; the words are pure.

import { currentAmong, processesByWorker, type WorkerHealth } from '../supervise/readiness.ts'

export interface ProgressWorker {
  name: string
  replicas: number
  dependsOn: string[]
}

/**
 * What a deploy has got to, from the agent's word: units running, units ready (a job done
 * counts), the dependencies the workers that have no process yet wait for, and the units that
 * run two processes (a new version beside the old). Pure.
 */
export function progressText(verb: string, workers: ProgressWorker[], processes: Readonly<Record<string, WorkerHealth>>): string {
  const total = workers.reduce((n, w) => n + w.replicas, 0)
  const done = (s: WorkerHealth) => s.exitCode === 0 && s.health === 'none'
  let running = 0
  let ready = 0
  const units = new Map<string, Map<string, WorkerHealth>>()
  const byWorker = processesByWorker(processes)
  for (const w of workers) {
    const states = byWorker.get(w.name) ?? []
    const current = currentAmong(states)
    units.set(w.name, current)
    for (const [unit, state] of current) {
      if (state.running || done(state))
        running++
      // A unit serves while any of its processes is ready: during a deploy, the old one.
      if (states.some(p => p.unit === unit && (p.health === 'ready' || done(p))))
        ready++
    }
  }
  const allReady = (name: string) => {
    const w = workers.find(x => x.name === name)
    const current = units.get(name)
    return !w || !current || (current.size >= w.replicas && [...current.values()].every(s => s.health === 'ready' || done(s)))
  }
  const waitingOn = [...new Set(workers.filter(w => (units.get(w.name)?.size ?? 0) === 0).flatMap(w => w.dependsOn.filter(dep => !allReady(dep))))]
  const twice = Object.values(processes).filter(p => p.running && workers.some(w => w.name === p.worker))
  const replacing = [...new Set(twice.map(p => p.unit).filter((unit, i, all) => all.indexOf(unit) !== i))]
  return [
    `${verb} ${Math.min(running, total)} of ${total}`,
    `ready ${Math.min(ready, total)}`,
    ...(waitingOn.length ? [`waiting on ${waitingOn.join(', ')}`] : []),
    ...(replacing.length ? [`replacing ${replacing.join(', ')}`] : []),
  ].join(' · ')
}

/** Counting what a command ends one at a time: `stopping 12 of 50`. Pure. */
export function countText(verb: string, done: number, total: number): string {
  return `${verb} ${done} of ${total}`
}

export interface ProgressLine {
  /** Whether anything is shown (a terminal): where not, a caller need not make the text. */
  live: boolean
  /** Shows `text` in place of the last (at most every 100 ms). */
  set: (text: string) => void
  /** Removes the line, before the command prints what it prints. */
  clear: () => void
}

/** A live line on `stream` when it is a terminal (and NO_PROGRESS is unset); elsewhere it does nothing. */
export function progressLine(stream: NodeJS.WriteStream = process.stdout): ProgressLine {
  if (!stream.isTTY || process.env.NO_PROGRESS)
    return { live: false, set: () => {}, clear: () => {} }
  let shown = ''
  let last = 0
  const width = () => Math.max(20, (stream.columns || 80) - 1)
  return {
    live: true,
    set(text) {
      const now = Date.now()
      if (text === shown || now - last < 100)
        return
      last = now
      shown = text
      stream.write(`\r\x1B[2K${text.slice(0, width())}`)
    },
    clear() {
      if (shown)
        stream.write('\r\x1B[2K')
      shown = ''
    },
  }
}

/** A live line kept below lines that keep coming (dev's log): `wrap` a writer to clear it before each write and draw it again after. */
export interface LiveLineBelow extends ProgressLine {
  wrap: <W extends (text: string, force?: boolean) => boolean | void>(write: W) => W
}

export function liveLineBelow(stream: NodeJS.WriteStream = process.stdout): LiveLineBelow {
  const line = progressLine(stream)
  if (!stream.isTTY || process.env.NO_PROGRESS)
    return { ...line, wrap: write => write }
  let shown = ''
  const width = () => Math.max(20, (stream.columns || 80) - 1)
  return {
    live: true,
    set(text) {
      line.set(text)
      shown = text
    },
    clear() {
      line.clear()
      shown = ''
    },
    wrap: (write => ((text: string, force?: boolean) => {
      if (!shown || text === '')
        return write(text, force)
      stream.write('\r\x1B[2K')
      const result = write(text, force)
      stream.write(shown.slice(0, width()))
      return result
    })) as LiveLineBelow['wrap'],
  }
}
