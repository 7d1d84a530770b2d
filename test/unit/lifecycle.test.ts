import { describe, expect, test } from 'bun:test'
import { parseHeartbeat } from '../../src/model/heartbeat.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'
import { type Effect, healthOf, initialState, isBroken, type LifecycleEvent, step } from '../../src/model/lifecycle.ts'
import { judgeProcess } from '../../src/supervise/readiness.ts'
import type { WorkerState } from '../../src/types/health.ts'

/** Runs events through the lifecycle; returns the last state and every effect on the way. */
function run(heartbeat: string, events: LifecycleEvent[], options: Parameters<typeof toHealthPolicy>[1] = {}) {
  const policy = toHealthPolicy(heartbeat, options)
  let state: WorkerState = initialState(0)
  const effects: Effect[] = []
  for (const event of events) {
    const next = step(state, event, policy, 'web')
    state = next.state
    effects.push(...next.effects)
  }
  return { state, health: healthOf(state), effects, notes: effects.filter(e => e.type === 'note').map(e => (e as { text: string }).text) }
}

const online = (at: number, pid = 100): LifecycleEvent => ({ type: 'online', pid, at })
const ok = (at: number): LifecycleEvent => ({ type: 'check', at, ok: true, detail: 'GET /health -> 200' })
const fail = (at: number, detail = 'GET /health -> 500'): LifecycleEvent => ({ type: 'check', at, ok: false, detail })
const crash = (at: number, code = 1): LifecycleEvent => ({ type: 'exit', at, code, manual: false, willRestart: true })

describe('heartbeat grammar', () => {
  test('the four forms, and what is none of them', () => {
    expect(parseHeartbeat(undefined)).toEqual({ kind: 'none' })
    expect(parseHeartbeat('')).toEqual({ kind: 'none' })
    expect(parseHeartbeat('http://127.0.0.1:3000/health')).toEqual({ kind: 'http', url: 'http://127.0.0.1:3000/health' })
    expect(parseHeartbeat('https://example.test/ok')).toEqual({ kind: 'http', url: 'https://example.test/ok' })
    expect(parseHeartbeat('tcp://127.0.0.1:5432')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 5432 })
    expect(parseHeartbeat('500ms')).toEqual({ kind: 'push', everyMs: 500 })
    expect(parseHeartbeat('10s')).toEqual({ kind: 'push', everyMs: 10_000 })
    expect(parseHeartbeat('2m')).toEqual({ kind: 'push', everyMs: 120_000 })
    for (const bad of ['10', '10 sec', 'ftp://x', 'tcp://127.0.0.1', 'health', '0s'])
      expect(parseHeartbeat(bad)).toHaveProperty('error')
  })
})

describe('readiness', () => {
  test('a one-shot job (autorestart: false) is not ready by lasting: done at exit 0, failed at any other exit', () => {
    const job = { autorestart: false }
    const exit = (at: number, code: number): LifecycleEvent => ({ type: 'exit', at, code, manual: false, willRestart: false })
    expect(run('', [online(0), { type: 'tick', at: 5000 }], job).state.passed).toBe(false)
    const done = run('', [online(0), { type: 'tick', at: 1200 }, exit(1500, 0)], job)
    expect(done.state).toMatchObject({ running: false, exitCode: 0 })
    expect(done.notes).toEqual(['web done: exited with code 0 1.5 s after its start'])
    const failed = run('', [online(0), exit(1500, 1)], job)
    expect(failed.state).toMatchObject({ running: false, exitCode: 1, reason: 'exited (exit code 1); PM2 does not restart it' })
    expect(failed.effects).toEqual([{ type: 'note', kind: 'exited', text: 'web failed: exited (exit code 1) 1.5 s after its start; PM2 does not restart it' }])
  })

  test('with a heartbeat: starting until the first passed check, then ready', () => {
    expect(run('http://x/health', [online(0)]).health).toBe('starting')
    const { health, notes } = run('http://x/health', [online(0), fail(100, 'GET /health: connection refused'), ok(300)])
    expect(health).toBe('ready')
    expect(notes).toEqual(['web ready: GET /health -> 200 (300 ms after its start)'])
  })

  test('without a heartbeat: ready once it has stayed up readyAfter, not before', () => {
    expect(run('', [online(0), { type: 'tick', at: 999 }]).health).toBe('starting')
    expect(run('', [online(0), { type: 'tick', at: 1000 }]).health).toBe('ready')
    expect(run('', [online(0), { type: 'tick', at: 400 }], { health: { readyAfter: '300ms' } }).health).toBe('ready')
  })

  test('a worker that threw at startup under bun --watch is errored until its code reloads', () => {
    const failed = run('', [online(0), { type: 'failed', at: 50, detail: 'failed at startup: Failed to start server (EADDRINUSE)' }, { type: 'tick', at: 5000 }])
    expect(failed.health).toBe('errored')
    expect(failed.state.reason).toBe('failed at startup: Failed to start server (EADDRINUSE)')
    expect(failed.effects.filter(e => e.type !== 'note')).toEqual([])
    const reloaded = run('', [online(0), { type: 'failed', at: 50, detail: 'threw: boom' }, { type: 'reloaded', at: 6000 }, { type: 'tick', at: 7000 }])
    expect(reloaded.health).toBe('ready')
  })
})

describe('liveness', () => {
  test('failures before the grace period ends do not count; after it, not ready is a failure', () => {
    const early = run('http://x/health', [online(0), fail(100), fail(200), fail(300), fail(400)])
    expect(early.effects.filter(e => e.type === 'restart')).toEqual([])
    const late = run('http://x/health', [online(0), fail(30_000), fail(35_000), fail(40_000)])
    expect(late.effects.filter(e => e.type === 'restart')).toEqual([{ type: 'restart', reason: 'not ready within 30 s: GET /health -> 500' }])
  })

  test('the same refusal again while a run starts leaves its state as it was (nothing new to publish)', () => {
    const policy = toHealthPolicy('http://x/health', {})
    const refused = 'GET /health: connection refused'
    const first = step(step(initialState(0), online(0), policy, 'web').state, fail(50, refused), policy, 'web').state
    expect(first.lastCheck).toBe(refused)
    expect(step(first, fail(100, refused), policy, 'web').state).toBe(first)
    const other = step(first, fail(150, 'GET /health: timed out after 2 s'), policy, 'web').state
    expect(other).not.toBe(first)
    expect(other.lastCheck).toBe('GET /health: timed out after 2 s')
    // An error status counts its answers: each one is news.
    const erring = step(first, { type: 'check', at: 200, ok: false, detail: 'GET /health -> 500', status: 500 }, policy, 'web').state
    expect(step(erring, { type: 'check', at: 250, ok: false, detail: 'GET /health -> 500', status: 500 }, policy, 'web').state.errorAnswers).toBe(2)
  })

  test('ready, then `failures` failed checks in a row restart it, saying why', () => {
    const { effects, health, notes } = run('http://x/health', [online(0), ok(100), fail(5000), fail(10_000), fail(15_000)])
    expect(effects.filter(e => e.type === 'restart')).toEqual([{ type: 'restart', reason: 'GET /health -> 500, 3 times' }])
    expect(notes).toContain('web unhealthy: GET /health -> 500 (3 failures in a row restart it)')
    expect(health).toBe('unhealthy')
  })

  test('a passed check in between starts the count again', () => {
    const { effects, health } = run('http://x/health', [online(0), ok(100), fail(5000), fail(10_000), ok(15_000), fail(20_000), fail(25_000)])
    expect(effects.filter(e => e.type === 'restart')).toEqual([])
    expect(health).toBe('unhealthy')
  })

  test('the count follows options.health.failures', () => {
    const { effects } = run('http://x/health', [online(0), ok(100), fail(5000)], { health: { failures: 1 } })
    expect(effects.filter(e => e.type === 'restart')).toHaveLength(1)
  })

  test('while bun-pm restarts it, checks wait for the next run; the next run starts fresh', () => {
    const events = [online(0), ok(100), fail(5000), fail(10_000), fail(15_000), fail(16_000), fail(17_000)]
    const restarting = run('http://x/health', events)
    expect(restarting.effects.filter(e => e.type === 'restart')).toHaveLength(1)
    const after = run('http://x/health', [...events, { type: 'exit', at: 17_100, code: 0, manual: true, willRestart: false }, online(17_200, 101), ok(17_400)])
    expect(after.health).toBe('ready')
    expect(after.state.reason).toBe('GET /health -> 500, 3 times')
  })

  test('PM2 online with no live process is a crash bun-pm restarts', () => {
    const { effects } = run('', [online(0), { type: 'tick', at: 2000 }, { type: 'gone', at: 3000, detail: 'its process (pid 100) is gone' }])
    expect(effects.filter(e => e.type === 'restart')).toEqual([{ type: 'restart', reason: 'its process (pid 100) is gone' }])
  })
})

describe('crash loops end', () => {
  test('a worker that crashes after 3 s every time: crash-looping, then stopped as errored at max_restarts', () => {
    const events: LifecycleEvent[] = []
    for (let i = 0; i < 5; i++)
      events.push(online(i * 4000, 100 + i), { type: 'tick', at: i * 4000 + 1500 }, crash(i * 4000 + 3000))
    const fourth = run('', events.slice(0, 12))
    expect(fourth.health).toBe('none')
    expect(fourth.state.streak).toBe(4)
    const looping = run('', [...events.slice(0, 12), online(16_000, 200)])
    expect(looping.health).toBe('crash-looping')
    const { health, effects, state } = run('', events)
    expect(health).toBe('errored')
    expect(effects.filter(e => e.type === 'stop')).toEqual([{ type: 'stop', reason: 'it crashed 5 times in a row, each within 30 s of its start (last: exit code 1)' }])
    expect(state.reason).toContain('crashed 5 times in a row')
    // A program that ends with 0 each time is a job run as a server: the reason says how to run it as one.
    const ends = run('', Array.from({ length: 5 }, (_, i) => [online(i * 400, 100 + i), crash(i * 400 + 300, 0)]).flat())
    expect(ends.state.reason).toBe('it crashed 5 times in a row, each within 30 s of its start (last: exit code 0); it exits 0 each time: for a job that is meant to end, set `autorestart: false`')
  })

  test('PM2\'s own restart of the last crash, come before bun-pm\'s stop, stays errored; a run after the stop is done is a new one', () => {
    const loop = Array.from({ length: 5 }, (_, i) => [online(i * 400, 100 + i), crash(i * 400 + 300)]).flat()
    const stop: LifecycleEvent = { type: 'exit', at: 2600, code: null, signal: 'SIGTERM', manual: true, willRestart: false }
    // PM2 restarts it (its back-off ran out first), then bun-pm's stop ends that run.
    const raced = run('', [...loop, online(2500, 200), stop])
    expect(raced.health).toBe('errored')
    expect(raced.state.reason).toBe('it crashed 5 times in a row, each within 30 s of its start (last: exit code 1)')
    expect(raced.effects.filter(e => e.type === 'stop')).toHaveLength(1)
    // The stop came first (PM2 dropped its restart, no exit follows): done, and a later run (an
    // edit, `start`) begins anew.
    const done: LifecycleEvent = { type: 'action-done', at: 2100, action: 'stop' }
    expect(run('', [...loop, done]).health).toBe('errored')
    const again = run('', [...loop, done, online(9000, 300)])
    expect([again.health, again.state.halted, again.state.streak]).toEqual(['starting', null, 0])
  })

  test('a run longer than min_uptime ends the streak; max_restarts and min_uptime are the user\'s to set', () => {
    const spaced = run('', [online(0), crash(3000), online(3100), { type: 'tick', at: 40_000 }, crash(41_000), online(41_100)])
    expect(spaced.state.streak).toBe(0)
    const strict = run('', [online(0), crash(3000), online(3100), crash(6000)], { max_restarts: 2 })
    expect(strict.health).toBe('errored')
    const lenient = run('', [online(0), crash(3000), online(3100), crash(6000), online(6100), crash(9000)], { min_uptime: 2000 })
    expect(lenient.state.streak).toBe(0)
  })

  test('PM2 giving up is errored too; a later start begins a new count', () => {
    const gaveUp = run('', [online(0), { type: 'overlimit', at: 500 }])
    expect(gaveUp.health).toBe('errored')
    const again = run('', [online(0), crash(100), online(200, 101), crash(300), { type: 'overlimit', at: 310 }, online(5000, 102)])
    expect(again.health).toBe('starting')
    expect(again.state.streak).toBe(0)
  })

  test('exits someone asked for are no crashes; an exit PM2 will not restart is not a loop', () => {
    const stopped = run('', [online(0), { type: 'exit', at: 100, code: 0, manual: true, willRestart: false }])
    expect(stopped.health).toBe('none')
    expect(stopped.state.streak).toBe(0)
    const done = run('', [online(0), { type: 'exit', at: 100, code: 0, manual: false, willRestart: false }])
    expect(done.health).toBe('none')
    expect(done.state.reason).toBe('exited (exit code 0); PM2 does not restart it')
  })
})

describe('what the review found', () => {
  test('a worker that never becomes ready loops toward errored, though each run outlasts min_uptime', () => {
    const events: LifecycleEvent[] = []
    for (let i = 0; i < 5; i++) {
      const t0 = i * 40_000
      events.push(online(t0, 100 + i), { type: 'tick', at: t0 + 30_500 }, fail(t0 + 30_000), fail(t0 + 35_000), fail(t0 + 39_000))
      events.push({ type: 'exit', at: t0 + 39_500, code: 0, manual: true, willRestart: true })
    }
    const { health, effects } = run('http://x/health', events)
    expect(effects.filter(e => e.type === 'restart')).toHaveLength(4)
    expect(effects.filter(e => e.type === 'stop')).toHaveLength(1)
    expect(health).toBe('errored')
  })

  test('an exit while bun-pm restarts or stops the worker is that restart, not a crash', () => {
    const { state } = run('', [online(0), { type: 'tick', at: 2000 }, { type: 'gone', at: 3000, detail: 'gone' }, { type: 'exit', at: 3100, code: 1, manual: false, willRestart: true }])
    expect(state.streak).toBe(1)
  })

  test('a failed restart leaves nothing pending: the worker is checked again', () => {
    const { state } = run('http://x/health', [online(0), ok(100), fail(5000), fail(10_000), fail(15_000), { type: 'action-failed', at: 15_100, detail: 'could not be restarted: timeout' }])
    expect(state.pending).toBe(false)
  })

  test('a startup failure goes with its process; an exit PM2 will not restart keeps its code', () => {
    const failed = run('', [online(0), { type: 'failed', at: 50, detail: 'failed at startup: boom' }, { type: 'exit', at: 900, code: 0, manual: true, willRestart: false }])
    expect(failed.health).toBe('none')
    const done = run('', [online(0), { type: 'exit', at: 100, code: 2, manual: false, willRestart: false }])
    expect(done.state.exitCode).toBe(2)
    expect(run('', [online(0), { type: 'exit', at: 100, code: 2, manual: false, willRestart: false }, online(200, 101)]).state.exitCode).toBeNull()
  })
})

describe('push heartbeats', () => {
  test('the policy takes the period from the heartbeat, the rest from options.health', () => {
    const policy = toHealthPolicy('2s', { health: { failures: 2, grace: '1m' } })
    expect(policy.heartbeat).toEqual({ kind: 'push', everyMs: 2000 })
    expect(policy.failures).toBe(2)
    expect(policy.graceMs).toBe(60_000)
    expect(policy.intervalMs).toBe(5000)
  })
})

describe('a new version that answers with errors only', () => {
  const answer = (at: number, status: number): LifecycleEvent => ({ type: 'check', at, ok: status < 300, detail: `GET /health -> ${status}`, status })
  const refused = (at: number): LifecycleEvent => ({ type: 'check', at, ok: false, detail: 'GET /health: connection refused' })

  test('is broken after 3 error answers in a row over 1 s; "not yet" (503, 429), a refused connection or a pass starts the count again', () => {
    const broken = run('http://127.0.0.1:3000/health', [online(0), answer(100, 500), answer(600, 500), answer(1100, 404)])
    expect(broken.state).toMatchObject({ errorAnswers: 3, errorSince: 100 })
    expect(isBroken(broken.state, 1100)).toBe(true)
    // Quick in a row, but not for 1 s yet.
    expect(isBroken(run('http://127.0.0.1:3000/health', [online(0), answer(50, 500), answer(100, 500), answer(150, 500)]).state, 150)).toBe(false)
    for (const between of [answer(600, 503), answer(600, 429), refused(600)])
      expect(run('http://127.0.0.1:3000/health', [online(0), answer(100, 500), between, answer(1100, 500), answer(1200, 500)]).state.errorAnswers).toBe(2)
    const passed = run('http://127.0.0.1:3000/health', [online(0), answer(100, 500), answer(200, 200), answer(1300, 500), answer(1400, 500), answer(2500, 500)])
    expect(isBroken(passed.state, 2500)).toBe(false)
    // A new run forgets the last one's answers.
    expect(run('http://127.0.0.1:3000/health', [online(0), answer(100, 500), answer(600, 500), online(700, 101)]).state.errorAnswers).toBe(0)
  })

  test('a deploy fails such a process at once; a first start (no failOnExit) waits for it as before', () => {
    const state = { ...run('http://127.0.0.1:3000/health', [online(0), answer(100, 500), answer(600, 500), answer(1100, 500)]).state, health: 'starting' as const, check: 'GET /health', unit: 'web', worker: 'web', hash: 'v2', uniqueId: 'u1' }
    expect(judgeProcess(state, true)).toMatchObject({ ready: false, why: 'broken', unit: 'web' })
    expect(judgeProcess(state, false)).toBeUndefined()
  })
})

describe('a one-shot job a signal ended', () => {
  test('is not done: it failed, killed by the signal, with the exit code a shell would give it', () => {
    const { state, notes } = run('', [online(0), { type: 'exit', at: 1500, code: null, signal: 'SIGKILL', manual: false, willRestart: false }], { autorestart: false })
    expect(state.exitCode).toBe(137)
    expect(state.reason).toBe('exited (killed by SIGKILL); PM2 does not restart it')
    expect(notes).toEqual(['web failed: exited (killed by SIGKILL) 1.5 s after its start; PM2 does not restart it'])
    expect(judgeProcess({ ...state, health: healthOf(state), check: '', unit: 'web', worker: 'web', hash: 'v1', uniqueId: 'u' }, false)).toMatchObject({ ready: false, why: 'exited' })
  })
})
