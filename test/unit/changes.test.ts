import { describe, expect, test } from 'bun:test'
import { countChanges, describeChanges, describeRollback, toChanges } from '../../src/report/changes.ts'
import type { WorkerOutcome } from '../../src/supervise/apply.ts'

const outcome = (name: string, change: WorkerOutcome['change'], extra: Partial<WorkerOutcome> = {}): WorkerOutcome => ({ name, change, from: 1, to: 1, ...extra })

describe('what an apply changed, in words', () => {
  test('a worker meant to start whose dependency was not ready is "not started", never "started"', () => {
    const changes = toChanges([outcome('db', 'start'), outcome('api', 'start'), outcome('admin', 'start'), outcome('queue', 'replace'), outcome('cache', 'keep')], [], new Set(['api', 'queue']))
    expect(changes).toMatchObject({ started: ['db', 'admin'], replaced: [], notStarted: ['api', 'queue'] })
    expect(describeChanges(changes)).toBe('started db, admin; unchanged cache; not started api, queue (a dependency is not ready)')
    expect(countChanges(changes)).toBe('2 started, 1 unchanged, 2 not started')
  })

  test('how each worker was replaced, those replaced alike together; a new version that failed is said as kept', () => {
    const surge = { kind: 'surge' as const, why: 'new beside old: port 3000 shared (reusePort)' }
    const changes = toChanges([
      outcome('web', 'replace', { strategy: surge }),
      outcome('admin', 'replace', { strategy: surge }),
      outcome('tick', 'replace', { strategy: { kind: 'stop-first', why: 'no heartbeat to judge the new process ready' } }),
      outcome('api', 'replace', { strategy: surge, rollback: { unit: 'api', kept: 'running', readiness: { ready: false, why: 'timeout' } } }),
      outcome('web2', 'scale', { from: 2, to: 3 }),
    ], ['old'], new Set())
    expect(describeChanges(changes)).toBe('restarted web, admin (rolling, new beside old: port 3000 shared (reusePort)); restarted tick (stopped, then started: no heartbeat to judge the new process ready); removed old (no longer in the config or deactivated); scaled web2 from 2 to 3 replicas; kept the running version of api (the new one failed)')
    expect(describeRollback('web', 'running', 'GET /health -> 500')).toBe('web: kept the running version; the new one failed: GET /health -> 500')
    expect(describeRollback('web', 'restored', 'exited')).toBe('web: started the version that ran again; the new one failed: exited')
  })

  test('nothing changed', () => {
    expect(describeChanges(toChanges([outcome('cache', 'keep')], [], new Set()))).toBe('unchanged cache')
    expect(describeChanges(toChanges([], [], new Set()))).toBe('nothing to do')
  })
})
