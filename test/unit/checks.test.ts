import { describe, expect, test } from 'bun:test'
import { createCheck } from '../../src/agent/checks.ts'
import { newTracked, type Tracked } from '../../src/agent/tracked.ts'
import { type LifecycleEvent, step } from '../../src/model/lifecycle.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'

/** A run of this very process (alive), online since `since`, judged by `heartbeat`. */
function tracked(heartbeat: string, since: number): Tracked {
  const policy = toHealthPolicy(heartbeat, {})
  const t = newTracked({ pmId: 0, uniqueId: 'u', worker: 'web', index: 0, unit: 'web', hash: '', policy }, since)
  t.state = step(t.state, { type: 'online', pid: process.pid, at: since }, policy, 'web').state
  return t
}

function checker() {
  const events: LifecycleEvent[] = []
  const check = createCheck({
    dispatch: (t, event) => {
      events.push(event)
      t.state = step(t.state, event, t.id.policy, t.id.unit).state
    },
    siblingPids: () => [],
    runSoon: () => {},
    closed: () => true,
    now: () => Date.now(),
  })
  return { check, events }
}

describe('the agent\'s look at a process each tick', () => {
  test('a ready run whose next probe is not due is left alone: no tick, no probe', () => {
    const t = tracked('http://127.0.0.1:1/health', 0)
    t.state = { ...t.state, passed: true }
    t.nextProbeAt = 10_000
    const { check, events } = checker()
    check(t, 5000)
    expect(events).toEqual([])
    expect(t.probing).toBe(false)
  })

  test('a due probe starts; a run without a heartbeat is still made ready by lasting', () => {
    const probed = tracked('http://127.0.0.1:1/health', 0)
    probed.state = { ...probed.state, passed: true }
    probed.nextProbeAt = 4000
    const first = checker()
    first.check(probed, 5000)
    expect(probed.probing).toBe(true)

    const lasting = tracked('', 0)
    const second = checker()
    second.check(lasting, 2000)
    expect(second.events).toEqual([{ type: 'tick', at: 2000 }])
    expect(lasting.state.passed).toBe(true)
  })

  test('after crashes, a ready run is ticked once it has been up min_uptime: its streak ends', () => {
    const t = tracked('http://127.0.0.1:1/health', 0)
    t.state = { ...t.state, passed: true, streak: 2 }
    t.nextProbeAt = Number.MAX_SAFE_INTEGER
    const { check, events } = checker()
    check(t, 10_000)
    expect(events).toEqual([])
    check(t, 31_000)
    expect(events).toEqual([{ type: 'tick', at: 31_000 }])
    expect(t.state.streak).toBe(0)
  })
})
