// When the agent checks what: the probe cadence of a run, what a heartbeat() is worth, when a
// push period was missed, how often the loop runs. Pure.
import type { HealthPolicy } from '../types/health.ts'

/** While a worker has not passed its first check, it is checked this often, to be seen ready soon. */
export const STARTING_PROBE_MS = 50
/** ... for its first seconds; then this often, until it passes or its grace ends. */
export const STARTING_PROBE_SLOW_MS = 250
const STARTING_FAST_FOR_MS = 3000

/** Answers from siblings in a row after which a unit is probed at the starting pace again, not at once. */
export const SIBLING_RETRIES = 10

/**
 * When to probe again after a probe that ended at `at`: at once when a sibling answered (another
 * process on the shared port: a new connection soon reaches this one, and a deploy waits for
 * it), up to SIBLING_RETRIES in a row; soon while not ready; else at the interval.
 */
export function nextProbeAt(at: number, { passed, since }: { passed: boolean, since: number | null }, policy: HealthPolicy, informative: boolean, siblingsInARow = 0): number {
  const ranMs = at - (since ?? at)
  if (!informative && siblingsInARow < SIBLING_RETRIES)
    return at
  if (informative && passed)
    return at + policy.intervalMs
  return at + (ranMs < STARTING_FAST_FOR_MS ? STARTING_PROBE_MS : STARTING_PROBE_SLOW_MS)
}

/**
 * Whether a `heartbeat()` at `at` is news: the first of a run, one after failed periods, and
 * otherwise at most one per second (or per period, when that is shorter).
 */
export function beatCounts(at: number, state: { passed: boolean, failures: number, lastOkAt: number | null }, everyMs: number): boolean {
  return !state.passed || state.failures > 0 || at - (state.lastOkAt ?? 0) >= Math.min(1000, everyMs)
}

/**
 * A push heartbeat's missed period: when nothing came for `everyMs` since the last beat, the last
 * judged miss or the run's start, the duration without a beat (to say); else undefined.
 */
export function missedBeat(at: number, { lastBeatAt, judgedAt, since }: { lastBeatAt: number | null, judgedAt: number | null, since: number | null }, everyMs: number): number | undefined {
  const from = Math.max(lastBeatAt ?? 0, judgedAt ?? 0, since ?? at)
  return at - from >= everyMs ? at - Math.max(lastBeatAt ?? 0, since ?? at) : undefined
}

/** How often the loop runs while a worker is starting (its readiness is what `start` waits for), and otherwise. */
export const FAST_TICK_MS = 25
export const IDLE_TICK_MS = 250

/** The loop's next tick: soon while any run has not passed its first check yet. */
export function tickEvery(states: Iterable<{ running: boolean, passed: boolean, halted: unknown }>): number {
  for (const s of states) {
    if (s.running && !s.passed && !s.halted)
      return FAST_TICK_MS
  }
  return IDLE_TICK_MS
}
