// A worker's health policy from its heartbeat and options: intervals, failures, grace, crash
// loops. Pure.

import type { HealthOptions, WorkerOptions } from '../types/config.ts'
import { parseDuration, parseHeartbeat } from './heartbeat.ts'
import type { HealthPolicy } from '../types/health.ts'

/** `options.health` when nothing sets it. */
export const HEALTH_DEFAULTS = {
  interval: 5000,
  timeout: 2000,
  failures: 3,
  grace: 30_000,
  readyAfter: 1000,
} as const

/**
 * bun-pm's crash-loop rule where the worker's PM2 options say nothing: a run shorter than
 * `min_uptime` that ends in a crash counts, and `max_restarts` of those in a row stop the worker.
 * PM2's own `min_uptime` is 1 s, so a worker that lives 1.2 s per run would loop forever; 30 s is
 * also when PM2 resets its exponential back-off, so one number means "stable" in both.
 */
export const CRASH_LOOP_DEFAULTS = {
  minUptimeMs: 30_000,
  /** The first delay of `exp_backoff_restart_delay` when neither it nor `restart_delay` is set. */
  backoffMs: 100,
  maxRestarts: 5,
} as const

/** The policy of a worker from its `heartbeat` and merged options (already validated). */
export function toHealthPolicy(heartbeat: string | undefined, options: WorkerOptions & { health?: HealthOptions }): HealthPolicy {
  const parsed = parseHeartbeat(heartbeat)
  const health = { ...HEALTH_DEFAULTS, ...options.health }
  const ms = (value: unknown, fallback: number) => parseDuration(value) ?? fallback
  return {
    heartbeat: 'error' in parsed ? { kind: 'none' } : parsed,
    intervalMs: ms(health.interval, HEALTH_DEFAULTS.interval),
    timeoutMs: ms(health.timeout, HEALTH_DEFAULTS.timeout),
    failures: health.failures ?? HEALTH_DEFAULTS.failures,
    graceMs: ms(health.grace, HEALTH_DEFAULTS.grace),
    readyAfterMs: ms(health.readyAfter, HEALTH_DEFAULTS.readyAfter),
    maxRestarts: options.max_restarts ?? CRASH_LOOP_DEFAULTS.maxRestarts,
    minUptimeMs: ms(options.min_uptime, CRASH_LOOP_DEFAULTS.minUptimeMs),
    autorestart: options.autorestart !== false,
    stopExitCodes: [options.stop_exit_codes ?? []].flat().map(Number),
  }
}
