import { describe, expect, test } from 'bun:test'
import { adoption, exitEvent, GONE_AFTER_MS, listingEvent, readMessage, toNotes } from '../../src/agent/translate.ts'
import { initialState } from '../../src/model/lifecycle.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'
import type { ProcessHealth } from '../../src/types/agent.ts'
import type { ProcView } from '../../src/pm2/process-view.ts'

const proc = (over: Partial<ProcView>): ProcView => ({
  name: 'web', pmId: 3, namespace: 'shop', instance: 0, uniqueId: 'u3', pid: 100, status: 'online', restarts: 0, unstableRestarts: 0, exitCode: null, upSince: 1000,
  memory: null, cpu: null, env: {}, interpreterArgs: [], ...over,
})
const running = { ...initialState(0), running: true, pid: 100, since: 1000 }
const saved = (over: Partial<ProcessHealth>): ProcessHealth => ({ ...running, passed: true, health: 'ready', check: 'GET /', unit: 'web', worker: 'web', hash: 'v1', uniqueId: 'u3', ...over })

describe('what a new agent makes of a process it finds', () => {
  test('the same process in the same run keeps its saved state; another run is an online; nothing saved, a run that ended is judged', () => {
    const same = adoption(proc({}), saved({ pending: true }), initialState(0), 5000)
    expect(same).toMatchObject({ state: { running: true, pid: 100, passed: true, pending: false }, events: [] })
    expect(same.state).not.toHaveProperty('uniqueId')
    expect(adoption(proc({ pid: 101 }), saved({}), initialState(0), 5000).events).toEqual([{ type: 'online', pid: 101, at: 1000 }])
    // Another process under the same PM2 id (PM2 reuses ids): its saved state says nothing of it.
    expect(adoption(proc({ uniqueId: 'u9' }), saved({}), initialState(0), 5000).events).toEqual([{ type: 'online', pid: 100, at: 1000 }])
    expect(adoption(proc({ status: 'stopped', pid: null }), saved({ halted: 'errored', running: false }), initialState(0), 5000).state).toMatchObject({ halted: 'errored', running: false, pid: null })
    expect(adoption(proc({ status: 'errored', pid: null }), undefined, initialState(0), 5000).events).toEqual([{ type: 'online', pid: 0, at: 1000 }, { type: 'overlimit', at: 5000 }])
    expect(adoption(proc({ status: 'stopped', pid: null, exitCode: 0 }), undefined, initialState(0), 5000).events).toEqual([{ type: 'online', pid: 0, at: 1000 }, { type: 'exit', at: 5000, code: 0, manual: false, willRestart: false }])
    expect(adoption(proc({ status: 'stopped', pid: null }), undefined, initialState(0), 5000).events).toEqual([])
    // A job done before this agent, which an earlier agent had judged: done again, not waited for.
    expect(adoption(proc({ status: 'stopped', pid: null, exitCode: 0 }), saved({ running: false, pid: null, exitCode: 0 }), initialState(0), 5000, true).events).toEqual([{ type: 'online', pid: 0, at: 1000 }, { type: 'exit', at: 5000, code: 0, manual: false, willRestart: false }])
    expect(adoption(proc({ status: 'stopped', pid: null, exitCode: 0 }), saved({ running: false, pid: null, exitCode: 0 }), initialState(0), 5000, false).events).toEqual([])
  })
})

describe('PM2\'s exit event', () => {
  const policy = toHealthPolicy('', { stop_exit_codes: [3] })
  const packet = (over: object) => ({ name: 'web', pm_id: 3, pm_uptime: 1000, status: 'online' as const, exit_code: 1, ...over })
  test('asked for when PM2 was stopping it; restarted unless PM2 gave up, autorestart is off or the code is a stop code; a late one of an older run says nothing', () => {
    expect(exitEvent(packet({}), running, policy, 9)).toEqual({ type: 'exit', at: 9, code: 1, signal: null, manual: false, willRestart: true })
    // A signal ended it: no code of its own (PM2 says 0), and PM2 decides by that 0.
    expect(exitEvent(packet({ exit_code: 0, exit_signal: 'SIGKILL' }), running, policy, 9)).toMatchObject({ code: null, signal: 'SIGKILL', willRestart: true })
    expect(exitEvent(packet({ exit_code: 0, exit_signal: 'SIGKILL' }), running, toHealthPolicy('', { stop_exit_codes: [0] }), 9)).toMatchObject({ willRestart: false })
    expect(exitEvent(packet({ status: 'stopping' }), running, policy, 9)).toMatchObject({ manual: true })
    expect(exitEvent(packet({ status: 'errored' }), running, policy, 9)).toMatchObject({ willRestart: false })
    expect(exitEvent(packet({ exit_code: 3 }), running, policy, 9)).toMatchObject({ willRestart: false })
    expect(exitEvent(packet({}), running, toHealthPolicy('', { autorestart: false }), 9)).toMatchObject({ willRestart: false })
    expect(exitEvent(packet({ pm_uptime: 500 }), running, policy, 9)).toBeUndefined()
  })
})

describe('what a listing says the bus did not', () => {
  test('a run no event announced is an online; online with no live process for a while is lost', () => {
    expect(listingEvent(proc({ upSince: 2000, pid: 200 }), running, null, 5000)).toEqual({ event: { type: 'online', pid: 200, at: 2000 }, deadSince: null })
    expect(listingEvent(proc({}), running, null, 5000)).toEqual({ deadSince: null })
    const first = listingEvent(proc({ pid: null }), running, null, 5000)
    expect(first).toEqual({ deadSince: 5000 })
    expect(listingEvent(proc({ pid: null }), running, 5000, 5000 + GONE_AFTER_MS)).toEqual({ event: { type: 'gone', at: 5000 + GONE_AFTER_MS, detail: 'its process (pid 100) is gone, though PM2 lists it online' }, deadSince: 5000 })
    expect(listingEvent(proc({ pid: null }), { ...running, pid: 0 }, 5000, 9000).event).toMatchObject({ detail: 'PM2 could not start its process (is its interpreter or script still there?)' })
    expect(listingEvent(proc({ status: 'stopped' }), running, null, 5000)).toEqual({ deadSince: null })
  })
})

describe('the workers\' messages and the lifecycle\'s notes', () => {
  test('bun-pm\'s protocol, and anything else ignored', () => {
    expect([readMessage({ 'bun-pm': 'beat' }), readMessage({ 'bun-pm': 'loaded', 'pid': 7 }), readMessage({ 'bun-pm': 'failed' }), readMessage({ other: 1 }), readMessage(undefined)])
      .toEqual([{ kind: 'beat' }, { kind: 'loaded', pid: 7 }, { kind: 'failed', detail: 'threw an uncaught error' }, undefined, undefined])
    expect(toNotes('web#1', [{ type: 'restart', reason: 'GET / -> 500, 3 times' }, { type: 'stop', reason: 'x' }, { type: 'note', kind: 'ready', text: 'web#1 ready' }]))
      .toEqual([{ name: 'web#1', kind: 'restart', text: 'web#1 restarting: GET / -> 500, 3 times', reason: 'GET / -> 500, 3 times' }, { name: 'web#1', kind: 'ready', text: 'web#1 ready' }])
  })
})
