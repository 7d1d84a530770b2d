import { describe, expect, test } from 'bun:test'
import { judge, toStatusRows } from '../../src/report/status-table.ts'
import { initialState } from '../../src/model/lifecycle.ts'
import type { HealthSnapshot } from '../../src/types/agent.ts'
import { proc } from '../helpers/proc-view.ts'

describe('status: health from PM2 and the agent', () => {
  const snapshot = (state: Partial<HealthSnapshot['processes'][string]>): HealthSnapshot => {
    const web = { ...initialState(0), running: true, pid: 100, since: 1000, passed: true, lastOkAt: 4000, health: 'ready' as const, check: 'GET /health', unit: 'web', worker: 'web', hash: 'v1', uniqueId: 'u0', ...state }
    return { namespace: 'shop', agentPid: 1, writtenAt: 0, processes: { 0: web } }
  }

  test('online in PM2 is not ready by itself: the agent says it, for the same pid', () => {
    expect(judge(proc({}), { snapshot: snapshot({}) }).health).toBe('ready')
    expect(judge(proc({ pid: 101 }), { snapshot: snapshot({}) }).health).toBe('starting')
    expect(judge(proc({}), {}).health).toBe('unknown')
    expect(judge(proc({}), { snapshot: snapshot({}), agentRunning: false }).health).toBe('unknown')
    expect(judge(proc({}), { snapshot: snapshot({}), agentRunning: false, agentAdvice: '`npx bun-pm start` starts it' }).reason).toBe('no health agent runs for this workspace; `npx bun-pm start` starts it')
  })

  test('online with no live process is unhealthy, whatever the agent said', () => {
    expect(judge(proc({ pid: null }), { snapshot: snapshot({}) })).toMatchObject({ health: 'unhealthy', reason: 'PM2 lists it online, but it has no live process' })
  })

  test('errored and stopped, with the reason; rows carry the age of the last passed check', () => {
    const halted = snapshot({ running: false, pid: null, halted: 'errored', health: 'errored', reason: 'it crashed 5 times in a row' })
    expect(judge(proc({ status: 'stopped', pid: null }), { snapshot: halted })).toMatchObject({ health: 'errored', reason: 'it crashed 5 times in a row' })
    expect(judge(proc({ status: 'stopped', pid: null }), {}).health).toBe('none')
    const [row, deactivated] = toStatusRows([proc({})], [{ name: 'web', group: 'primary', interpreter: 'bun' }, { name: 'old', group: 'primary', interpreter: 'bun', activated: false }], { snapshot: snapshot({}), now: 6000 })
    expect(row).toMatchObject({ health: 'ready', lastOkAgoMs: 2000, uptimeMs: 5000 })
    expect(deactivated).toMatchObject({ health: 'none', reason: 'deactivated (activated: false)' })
    // Without a heartbeat, nothing has been checked since it became ready: no age to show.
    const [unchecked] = toStatusRows([proc({})], [{ name: 'web', group: 'primary', interpreter: 'bun' }], { snapshot: snapshot({ check: 'up 1 s' }), now: 6000 })
    expect(unchecked).toMatchObject({ health: 'ready', lastOkAgoMs: null })
  })
})
