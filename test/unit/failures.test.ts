import { expect, test } from 'bun:test'
import { blockedReason, diagnose, failingProcess, failureLines, notReadyReason } from '../../src/report/failures.ts'
import { initialState } from '../../src/model/lifecycle.ts'
import type { Readiness, WorkerHealth } from '../../src/supervise/readiness.ts'
import { proc } from '../helpers/proc-view.ts'

const health = (over: Partial<WorkerHealth>): WorkerHealth => ({ ...initialState(0), health: 'starting', check: 'GET /health', unit: 'web', worker: 'web', hash: 'v1', uniqueId: 'u0', ...over })

test('why a worker is not ready, by how its wait ended; a replica names itself', () => {
  const cases: [Readiness, string][] = [
    [{ ready: false, why: 'timeout', state: health({ lastCheck: 'GET /health: connection refused', running: true }) }, 'not ready within 30 s: GET /health: connection refused'],
    [{ ready: false, why: 'timeout', state: health({ running: true }) }, 'not ready within 30 s: no GET /health yet'],
    [{ ready: false, why: 'errored', state: health({ health: 'errored', reason: 'it crashed 5 times in a row' }) }, 'errored: it crashed 5 times in a row'],
    [{ ready: false, why: 'exited', state: health({ health: 'none', reason: 'exit code 1' }) }, 'it exited and PM2 does not restart it (exit code 1)'],
    [{ ready: false, why: 'crashed', state: health({ reason: 'exit code 3' }), unit: 'web#1' }, 'web#1: it exited before it was ready (exit code 3)'],
    [{ ready: false, why: 'refused', detail: 'Script not found' }, 'PM2 would not start it: Script not found'],
    [{ ready: false, why: 'agent' }, 'the health agent that judges it is not running (see its lines in `bun-pm logs`)'],
    [{ ready: false, why: 'timeout' }, 'no word on it from the health agent within 30 s'],
    [{ ready: false, why: 'broken', state: health({ errorAnswers: 3, lastCheck: 'GET /health -> 500' }) }, 'it answered its check with errors only (3 in a row, last: GET /health -> 500); a new version that serves errors is not waited for (answer 503 while it warms up)'],
  ]
  for (const [readiness, reason] of cases)
    expect(notReadyReason(readiness, 30_000)).toBe(reason)
  expect(blockedReason('db', { ready: false, why: 'timeout' }, 30_000)).toBe('not started: it depends on "db", which is not ready (no word on it from the health agent within 30 s)')
})

test('a failure prints its line, then its last lines under the name; a kept version says so', () => {
  expect(failureLines({ name: 'web', reason: 'errored: x', lastLines: ['boom'] })).toEqual(['error: worker "web" is not ready: errored: x', '  web | boom'])
  expect(failureLines({ name: 'web', reason: 'web#0: not ready within 4 s', lastLines: [], kept: 'running' })[0]).toMatch(/^error: web: kept the running version; the new one failed: web#0: not ready within 4 s/)
})

test('the lines come from the replica that decided it; the usual causes are named', () => {
  const procs = [proc({ pmId: 1, instance: 0 }), proc({ pmId: 2, instance: 1 }), proc({ pmId: 3, name: 'other' })]
  expect(failingProcess(procs, 'shop', 'web', { ready: false, why: 'crashed', unit: 'web#1' })?.pmId).toBe(2)
  expect(failingProcess(procs, 'shop', 'web')?.pmId).toBe(1)
  expect(diagnose(['Error: listen EADDRINUSE: address already in use 127.0.0.1:3000'])).toBe(' (port in use)')
  expect(diagnose(['error: Cannot find module "./x"'])).toBe(' (missing file)')
  expect(diagnose(['all fine'])).toBe('')
})
