// Signals to processes and from the terminal: a process group ended, a wait for exits, and the
// signals a command acts on, kept from the moment it starts.

import { isAlive } from './processes.ts'

/** Sends `signal` to the process group led by `pid` (a PM2 worker is spawned detached, so it leads one). */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  }
  catch {
    try {
      process.kill(pid, signal)
      return true
    }
    catch {
      return false
    }
  }
}

/** Resolves once none of `pids` is alive, or after `timeoutMs`; returns the ones still alive. */
export async function waitForExit(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs
  let alive = pids.filter(isAlive)
  while (alive.length > 0 && Date.now() < deadline) {
    await Bun.sleep(20)
    alive = alive.filter(isAlive)
  }
  return alive
}

/** The signals that end a foreground command: Ctrl-C, a stop (container, systemd), a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** The exit code of a command ended by a signal: 128 + its number, as a shell reports it. */
export const SIGNAL_EXIT_CODES: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 }

/** The stop signals a command received, kept from the moment it asked (see `latchSignals`). */
export interface SignalLatch {
  /** The first signal received so far. */
  readonly first: NodeJS.Signals | undefined
  /** Resolves with the first signal, at once when one came already. */
  next: () => Promise<NodeJS.Signals>
  /** From now on every signal goes to `handler`; the first, when it came before, is handed over at once. */
  handle: (handler: (signal: NodeJS.Signals) => void) => void
}

/**
 * Keeps SIGINT, SIGTERM and SIGHUP from now on: one that comes while a command is still setting
 * up is acted on as soon as there is something to stop, instead of killing it half-way.
 */
export function latchSignals(): SignalLatch {
  let first: NodeJS.Signals | undefined
  let handler: ((signal: NodeJS.Signals) => void) | undefined
  const waiting: ((signal: NodeJS.Signals) => void)[] = []
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (first === undefined) {
        first = signal
        waiting.splice(0).forEach(wake => wake(signal))
      }
      handler?.(signal)
    })
  }
  return {
    get first() { return first },
    next: () => first ? Promise.resolve(first) : new Promise(resolve => waiting.push(resolve)),
    handle: (next) => {
      handler = next
      if (first)
        next(first)
    },
  }
}

/**
 * Calls `onGone` once the process that started this one has exited: this one is then another's
 * child (init's, a subreaper's). Linux says nothing of it, so the parent is looked at every
 * `everyMs`; the timer keeps nothing alive. `npx`, `npm exec` and `sh -c` do not pass a SIGTERM
 * on to what they run: they die and leave it running.
 */
export function onParentExit(onGone: (pid: number) => void, everyMs = 500): () => void {
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer)
      onGone(parent)
    }
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
