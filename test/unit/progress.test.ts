import { expect, test } from 'bun:test'
import { countText, progressText } from '../../src/report/progress.ts'
import { initialState } from '../../src/model/lifecycle.ts'
import type { ProcessHealth } from '../../src/types/agent.ts'

const proc = (unit: string, over: Partial<ProcessHealth> = {}): ProcessHealth => ({
  ...initialState(0), running: true, pid: 100, since: 1000, passed: false, health: 'starting', check: '', unit, worker: unit.split('#')[0]!, hash: 'v1', uniqueId: unit, ...over,
})
const workers = [
  { name: 'db', replicas: 1, dependsOn: [] },
  { name: 'web', replicas: 2, dependsOn: ['db'] },
  { name: 'migrate', replicas: 1, dependsOn: ['db'] },
]

test('what a start has got to: units running, ready (a job done counts), what the workers with no process yet wait for', () => {
  expect(progressText('starting', workers, {})).toBe('starting 0 of 4 · ready 0 · waiting on db')
  expect(progressText('starting', workers, { 0: proc('db') })).toBe('starting 1 of 4 · ready 0 · waiting on db')
  const dbReady = { 0: proc('db', { health: 'ready', passed: true }) }
  expect(progressText('starting', workers, dbReady)).toBe('starting 1 of 4 · ready 1')
  expect(progressText('starting', workers, { ...dbReady, 1: proc('web#0'), 2: proc('web#1', { health: 'ready' }), 3: proc('migrate', { running: false, health: 'none', exitCode: 0 }) }))
    .toBe('starting 4 of 4 · ready 3')
})

test('a rolling replacement: the old process serves (ready) while the new one starts beside it', () => {
  const old = proc('db', { health: 'ready', since: 1000, uniqueId: 'a' })
  const fresh = proc('db', { health: 'starting', since: 5000, uniqueId: 'b' })
  expect(progressText('restarting', [workers[0]!], { 0: old, 1: fresh })).toBe('restarting 1 of 1 · ready 1 · replacing db')
  expect(countText('stopping', 3, 5)).toBe('stopping 3 of 5')
})
