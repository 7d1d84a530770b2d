import { describe, expect, test } from 'bun:test'
import { beatCounts, FAST_TICK_MS, IDLE_TICK_MS, missedBeat, nextProbeAt, SIBLING_RETRIES, STARTING_PROBE_MS, STARTING_PROBE_SLOW_MS, tickEvery } from '../../src/agent/schedule.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'

const policy = toHealthPolicy('http://127.0.0.1:3000/', { health: { interval: '5s' } })

describe('when the agent checks what', () => {
  test('probes: soon while a run is not ready (faster in its first seconds), at the interval once it is, at once after a sibling answered', () => {
    expect(nextProbeAt(1000, { passed: false, since: 0 }, policy, true)).toBe(1000 + STARTING_PROBE_MS)
    expect(nextProbeAt(5000, { passed: false, since: 0 }, policy, true)).toBe(5000 + STARTING_PROBE_SLOW_MS)
    expect(nextProbeAt(5000, { passed: true, since: 0 }, policy, true)).toBe(10_000)
    expect(nextProbeAt(5000, { passed: true, since: 0 }, policy, false, 1)).toBe(5000)
    expect(nextProbeAt(5000, { passed: false, since: 4000 }, policy, false, SIBLING_RETRIES)).toBe(5000 + STARTING_PROBE_MS)
  })

  test('a heartbeat() is news when it is the first, after failures, or a second after the last that counted', () => {
    expect(beatCounts(100, { passed: false, failures: 0, lastOkAt: null }, 5000)).toBe(true)
    expect(beatCounts(1500, { passed: true, failures: 0, lastOkAt: 1000 }, 5000)).toBe(false)
    expect(beatCounts(2000, { passed: true, failures: 0, lastOkAt: 1000 }, 5000)).toBe(true)
    expect(beatCounts(1500, { passed: true, failures: 1, lastOkAt: 1000 }, 5000)).toBe(true)
    expect(beatCounts(1300, { passed: true, failures: 0, lastOkAt: 1000 }, 200)).toBe(true)
  })

  test('a push period missed: nothing for a period since the last beat, the last miss or the start; each miss counted once', () => {
    expect(missedBeat(4000, { lastBeatAt: null, judgedAt: null, since: 0 }, 5000)).toBeUndefined()
    expect(missedBeat(5000, { lastBeatAt: null, judgedAt: null, since: 0 }, 5000)).toBe(5000)
    expect(missedBeat(7000, { lastBeatAt: 3000, judgedAt: null, since: 0 }, 5000)).toBeUndefined()
    expect(missedBeat(9000, { lastBeatAt: 3000, judgedAt: 8500, since: 0 }, 5000)).toBeUndefined()
    expect(missedBeat(13_600, { lastBeatAt: 3000, judgedAt: 8500, since: 0 }, 5000)).toBe(10_600)
  })

  test('the loop runs fast while a run waits for its first passed check', () => {
    expect(tickEvery([{ running: true, passed: true, halted: null }, { running: true, passed: false, halted: null }])).toBe(FAST_TICK_MS)
    expect(tickEvery([{ running: true, passed: false, halted: 'failed' }, { running: false, passed: false, halted: null }])).toBe(IDLE_TICK_MS)
  })
})
