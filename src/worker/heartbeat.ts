// Imported by workers: no dependency, nothing done at import.

/** Sending more often than this says nothing new; calls in between are dropped. */
const MIN_GAP_MS = 100
let lastSentAt = 0

/**
 * Tells bun-pm that this worker is alive: call it at least as often as the duration in the worker's
 * `heartbeat` (`'30s'`: at least every 30 s), from the code whose progress proves health (a job
 * loop, a queue consumer). The first call makes the worker ready. Outside bun-pm (no PM2 IPC
 * channel) it does nothing, so the worker runs the same under `bun`, `node` or `tsx` by hand.
 * @example
 * import { heartbeat } from 'bun-pm'
 * setInterval(() => { drainQueue(); heartbeat() }, 5000)
 */
export function heartbeat(): void {
  const now = Date.now()
  if (now - lastSentAt < MIN_GAP_MS || typeof process.send !== 'function' || process.connected === false)
    return
  lastSentAt = now
  process.send({ type: 'process:msg', data: { 'bun-pm': 'beat' } })
}
