// One process's health as a state machine: events in (online, exit, check, tick), a new state and
// effects out (restart, stop, a note). Pure: the agent runs it.

import { describeHeartbeat, formatMs } from './heartbeat.ts'
import type { Health, HealthPolicy, NoteKind, WorkerState } from '../types/health.ts'

export type LifecycleEvent =
  | { type: 'online', pid: number, at: number }
  /** `manual`: someone asked for it (stop, restart, delete); `willRestart`: PM2 will start it again. */
  | { type: 'exit', at: number, code: number | null, signal?: string | null, manual: boolean, willRestart: boolean }
  /** PM2 itself gave up (its own `restart overlimit`). */
  | { type: 'overlimit', at: number }
  /** `status`: the HTTP status of an answer, when the check got one. */
  | { type: 'check', at: number, ok: boolean, detail: string, status?: number }
  | { type: 'tick', at: number }
  /**
   * The worker's code threw (dev: `bun --watch` keeps such a process waiting for an edit);
   * `detail` is `failed at startup: …` or `threw: …`.
   */
  | { type: 'failed', at: number, detail: string }
  /** `bun --watch` ran new code in the same process. */
  | { type: 'reloaded', at: number }
  /** PM2 lists the worker online, but it has no live process; `detail` says what is known. */
  | { type: 'gone', at: number, detail: string }
  /** bun-pm's restart or stop through PM2 is done (PM2 answered). */
  | { type: 'action-done', at: number, action: 'restart' | 'stop' }
  /** bun-pm's restart or stop through PM2 failed: nothing is pending any more. */
  | { type: 'action-failed', at: number, detail: string }

export type Effect =
  | { type: 'restart', reason: string }
  | { type: 'stop', reason: string }
  | { type: 'note', kind: NoteKind, text: string }

export function initialState(at: number): WorkerState {
  return { running: false, pid: null, since: null, passed: false, failures: 0, errorAnswers: 0, errorSince: null, lastOkAt: null, lastCheck: null, streak: 0, reason: null, halted: null, pending: false, exitCode: null, changedAt: at }
}

/** An HTTP answer that is an error, not "not ready yet": 4xx and 5xx but 429 and 503. */
export function isErrorStatus(status: number): boolean {
  return status >= 400 && status !== 429 && status !== 503
}

/** Error answers in a row, over this long at least, make a new version in a deploy broken. */
export const BROKEN_AFTER = { answers: 3, ms: 1000 }

/**
 * A run that has only answered its check with errors — 3 in a row, over 1 s at least — and never
 * passed: what a deploy's new version does when it is broken. It is failed at once rather than
 * given the whole --timeout, since it already serves a share of the traffic beside the old one.
 */
export function isBroken(state: WorkerState, at: number): boolean {
  return !state.passed && state.errorAnswers >= BROKEN_AFTER.answers && state.errorSince !== null && at - state.errorSince >= BROKEN_AFTER.ms
}

/** The one word status and `--json` show. */
export function healthOf(state: WorkerState): Health {
  if (state.halted)
    return 'errored'
  if (!state.running)
    return 'none'
  if (state.streak >= 2)
    return 'crash-looping'
  if (!state.passed)
    return 'starting'
  return state.failures > 0 ? 'unhealthy' : 'ready'
}

/**
 * The worker lifecycle: a state and an event in, the next state and what to do out (restart or
 * stop it through PM2, say something). Pure, so every rule is tested without a process.
 */
export function step(state: WorkerState, event: LifecycleEvent, policy: HealthPolicy, name: string): { state: WorkerState, effects: Effect[] } {
  const effects: Effect[] = []
  const next = reduce(state, event, policy, name, effects)
  return { state: next === state ? state : { ...next, changedAt: event.at }, effects }
}

function reduce(s: WorkerState, e: LifecycleEvent, policy: HealthPolicy, name: string, effects: Effect[]): WorkerState {
  const note = (kind: NoteKind, text: string) => effects.push({ type: 'note', kind, text })
  switch (e.type) {
    case 'online': {
      // The same run again (PM2's event and its listing both say it); pid 0 is a spawn that failed, each a run of its own.
      if (s.running && s.pid === e.pid && (e.pid !== 0 || s.since === e.at))
        return s
      // PM2's own restart of the crash that ended the loop, come before bun-pm's stop of it: the
      // stop under way is for this run too, and the worker stays errored.
      if (s.halted === 'errored' && s.pending && !s.running)
        return { ...s, running: true, pid: e.pid, since: e.at }
      // A run after a halt was asked for (an edit, `restart`, `start`): the loop count starts
      // over, and the halt's reason is history.
      const streak = s.halted ? 0 : s.streak
      const reason = s.halted ? null : s.reason
      return { ...s, running: true, pid: e.pid, since: e.at, passed: false, failures: 0, errorAnswers: 0, errorSince: null, lastCheck: null, halted: null, pending: false, exitCode: null, streak, reason }
    }
    case 'exit': {
      if (!s.running && !s.pending)
        return s
      // A startup failure belongs to its process: once that is gone, so is the failure.
      const stopped = { ...s, running: false, pid: null, pending: false, passed: false, failures: 0, halted: s.halted === 'failed' ? null : s.halted }
      // An exit while bun-pm's own restart or stop is under way is that restart or stop: its
      // reason stays. One that someone else asked for (stop, restart, a deploy) ends the story
      // of the run before: an old crash is no reason for the next run.
      if (s.pending || s.halted)
        return stopped
      if (e.manual)
        return { ...stopped, reason: null, streak: 0 }
      const how = e.signal ? `killed by ${e.signal}` : `exit code ${e.code ?? 0}`
      if (!e.willRestart) {
        // The run is over: a one-shot job is done (exit 0, its dependents may start) or failed.
        const after = s.since === null ? '' : ` ${formatMs(e.at - s.since)} after its start`
        if ((e.code ?? 0) === 0 && !e.signal)
          note('done', `${name} done: exited with code 0${after}`)
        else
          note('exited', `${name} failed: exited (${how})${after}; PM2 does not restart it`)
        return { ...stopped, exitCode: e.code ?? (e.signal ? signalExitCode(e.signal) : 0), reason: `exited (${how}); PM2 does not restart it` }
      }
      // PM2 will start it again after its back-off: if this crash ends the loop, bun-pm's stop
      // must still catch that run (pending until the stop is done).
      return crashed(stopped, e.at - (s.since ?? e.at), how, policy, name, effects, false, true)
    }
    case 'overlimit': {
      if (s.halted)
        return s
      const reason = `it crashed ${policy.maxRestarts} times in a row, each soon after its start, and PM2 gave up`
      note('errored', `${name} errored: ${reason}`)
      return { ...s, running: false, pid: null, halted: 'errored', reason }
    }
    case 'check': {
      if (!s.running || s.halted || s.pending)
        return s
      if (e.ok) {
        const passed = { ...s, passed: true, failures: 0, errorAnswers: 0, errorSince: null, lastOkAt: e.at, lastCheck: e.detail }
        if (!s.passed)
          note('ready', `${name} ready: ${e.detail}${s.since !== null ? ` (${formatMs(e.at - s.since)} after its start)` : ''}`)
        else if (s.failures > 0)
          note('recovered', `${name} healthy again: ${e.detail}`)
        return passed
      }
      const answers = !s.passed && e.status !== undefined && isErrorStatus(e.status)
        ? { errorAnswers: s.errorAnswers + 1, errorSince: s.errorSince ?? e.at }
        : { errorAnswers: 0, errorSince: null }
      const inGrace = !s.passed && s.since !== null && e.at - s.since < policy.graceMs
      if (inGrace) {
        // The same refusal again while it starts (a probe every 50 ms): nothing new, the same state
        // (a new one is written to the state file and sent through the daemon to every listener).
        if (s.lastCheck === e.detail && s.errorAnswers === answers.errorAnswers && s.errorSince === answers.errorSince)
          return s
        return { ...s, ...answers, lastCheck: e.detail }
      }
      const failures = s.failures + 1
      const failing = { ...s, ...answers, failures, lastCheck: e.detail }
      if (failures < policy.failures) {
        if (failures === 1)
          note('unhealthy', `${name} ${s.passed ? 'unhealthy' : 'still not ready'}: ${e.detail} (${policy.failures} failures in a row restart it)`)
        return failing
      }
      if (s.passed)
        return crashed(failing, e.at - (s.since ?? e.at), `${e.detail}, ${failures} times`, policy, name, effects, true)
      // Never ready is a loop whatever the run's length: the grace can be as long as min_uptime.
      return crashed(failing, 0, `not ready within ${formatMs(policy.graceMs)}: ${e.detail}`, policy, name, effects, true)
    }
    case 'gone': {
      if (!s.running || s.halted || s.pending)
        return s
      return crashed(s, e.at - (s.since ?? e.at), e.detail, policy, name, effects, true)
    }
    case 'tick': {
      if (!s.running || s.halted || s.pending || s.since === null)
        return s
      let next = s
      // A one-shot job (autorestart off) is not ready by lasting: it is done when it exits 0.
      if (policy.heartbeat.kind === 'none' && policy.autorestart && !s.passed && e.at - s.since >= policy.readyAfterMs) {
        next = { ...next, passed: true, lastOkAt: e.at, lastCheck: `up ${formatMs(policy.readyAfterMs)}` }
        note('ready', `${name} ready: up ${formatMs(policy.readyAfterMs)} without a crash`)
      }
      if (s.streak > 0 && next.passed && e.at - s.since >= policy.minUptimeMs) {
        if (s.streak >= 2)
          note('stable', `${name} is stable again: up ${formatMs(policy.minUptimeMs)} after ${s.streak} crashes in a row`)
        next = { ...next, streak: 0 }
      }
      return next
    }
    case 'failed': {
      if (!s.running || s.halted)
        return s
      note('failed', `${name} ${e.detail}; it waits for an edit of its files`)
      return { ...s, halted: 'failed', reason: e.detail }
    }
    case 'action-done': {
      // A stop that found nothing running (PM2 dropped its pending restart): no exit will come.
      if (e.action !== 'stop' || !s.pending || s.running)
        return s
      return { ...s, pending: false }
    }
    case 'action-failed': {
      if (!s.pending)
        return s
      note('unhealthy', `${name}: ${e.detail}`)
      return { ...s, pending: false }
    }
    case 'reloaded': {
      if (s.halted !== 'failed')
        return s
      return { ...s, halted: null, since: e.at, passed: false, failures: 0, lastCheck: null }
    }
  }
}

/**
 * A crash: an exit nobody asked for, or a failed heartbeat (`restart`: bun-pm must restart it
 * itself). Counted toward the loop when the run was shorter than `min_uptime`.
 */
function crashed(s: WorkerState, ranMs: number, why: string, policy: HealthPolicy, name: string, effects: Effect[], restart: boolean, pm2Restarts = false): WorkerState {
  // A crash after a run of min_uptime or longer is no loop: the count starts over.
  const streak = ranMs < policy.minUptimeMs ? s.streak + 1 : 0
  if (streak >= policy.maxRestarts) {
    // A program that ends with 0 each time is most likely a job, not a crash: say how to run it as one.
    const job = why === 'exit code 0' ? '; it exits 0 each time: for a job that is meant to end, set `autorestart: false`' : ''
    const reason = `it crashed ${streak} times in a row, each within ${formatMs(policy.minUptimeMs)} of its start (last: ${why})${job}`
    effects.push({ type: 'stop', reason })
    effects.push({ type: 'note', kind: 'errored', text: `${name} errored: ${reason}; bun-pm stopped it` })
    return { ...s, streak, halted: 'errored', reason, pending: s.running || pm2Restarts }
  }
  if (restart)
    effects.push({ type: 'restart', reason: why })
  if (streak >= 2)
    effects.push({ type: 'note', kind: 'crash-loop', text: `${name} is crash-looping: ${streak} crashes in a row (${why}); at ${policy.maxRestarts} bun-pm stops it` })
  return { ...s, streak, reason: why, pending: restart || s.pending }
}

/** A short description of a worker's check, for status and messages. */
export function checkOf(policy: HealthPolicy): string {
  if (policy.heartbeat.kind !== 'none')
    return describeHeartbeat(policy.heartbeat)
  return policy.autorestart ? `up ${formatMs(policy.readyAfterMs)}` : 'exit 0'
}

/** Whether a `checkOf` is a readiness rule only (no heartbeat): nothing is checked once it is ready. */
export function isReadinessOnly(check: string): boolean {
  return check === 'exit 0' || /^up \d/.test(check)
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 }

/** The exit code a shell gives a process a signal ended: 128 + the signal's number (SIGKILL: 137); never 0. */
export function signalExitCode(signal: string): number {
  return 128 + (SIGNAL_NUMBERS[signal] ?? 0)
}
