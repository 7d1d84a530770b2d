import { describe, expect, test } from 'bun:test'
import { type DesiredWorker, reconcile } from '../../src/supervise/reconcile.ts'
import { PLAN_HASH_KEY } from '../../src/model/version.ts'
import { proc } from '../helpers/proc-view.ts'

describe('reconcile, decided without a daemon', () => {
  const want = (name: string, hash: string, replicas = 1): DesiredWorker => ({ name, hash, parts: {}, replicas })
  const actions = (plan: ReturnType<typeof reconcile>) => plan.workers.map(w => [w.name, w.change, w.units.map(u => u.action)])

  test('the wanted version up: kept; another version: replaced; nothing running: started; others: removed when allowed', () => {
    const plan = reconcile([
      proc({ name: 'web', env: { [PLAN_HASH_KEY]: 'v1' } }),
      proc({ name: 'tick', pmId: 1, uniqueId: 'u1', env: { [PLAN_HASH_KEY]: 'old' } }),
      proc({ name: 'gone', pmId: 2, uniqueId: 'u2' }),
    ], 'shop', [want('web', 'v1'), want('tick', 'v2'), want('new', 'v1')], { shouldRemove: () => true }, 'test')
    expect(actions(plan)).toEqual([['web', 'keep', ['keep']], ['tick', 'replace', ['replace']], ['new', 'start', ['start']]])
    expect(plan.removed.map(r => r.name)).toEqual(['gone'])
    // Stopped or errored: started again (its record goes first); online with no process: not kept.
    const errored = reconcile([proc({ status: 'errored', pid: null, env: { [PLAN_HASH_KEY]: 'v1' } })], 'shop', [want('web', 'v1')], {}, 'test')
    expect(errored.workers[0]!).toMatchObject({ change: 'replace', units: [{ action: 'start', dead: [{ pmId: 0 }] }] })
    expect(actions(reconcile([proc({ pid: null, env: { [PLAN_HASH_KEY]: 'v1' } })], 'shop', [want('web', 'v1')], {}, 'test'))).toEqual([['web', 'replace', ['start']]])
    // restart: replaced whatever runs.
    expect(actions(reconcile([proc({ env: { [PLAN_HASH_KEY]: 'v1' } })], 'shop', [want('web', 'v1')], { replace: new Set(['web']) }, 'test'))).toEqual([['web', 'replace', ['replace']]])
  })

  test('replicas: each unit on its own; a new count adds or removes only the difference, highest index first', () => {
    const running = [proc({ env: { [PLAN_HASH_KEY]: 'v1' } }), proc({ pmId: 1, uniqueId: 'u1', instance: 1, pid: 101, env: { [PLAN_HASH_KEY]: 'v1' } })]
    expect(actions(reconcile(running, 'shop', [want('web', 'v1', 2)], {}, 'test'))).toEqual([['web', 'keep', ['keep', 'keep']]])
    const up = reconcile(running, 'shop', [want('web', 'v1', 3)], {}, 'test')
    expect(actions(up)).toEqual([['web', 'scale', ['keep', 'keep', 'start']]])
    expect(up.workers[0]!.from).toBe(2)
    const down = reconcile(running, 'shop', [want('web', 'v1', 1)], {}, 'test')
    expect(actions(down)).toEqual([['web', 'scale', ['keep']]])
    expect(down.workers[0]!.surplus.map(p => p.pmId)).toEqual([1])
    // A new version: every unit is replaced, each on its own.
    expect(actions(reconcile(running, 'shop', [want('web', 'v2', 2)], {}, 'test'))).toEqual([['web', 'replace', ['replace', 'replace']]])
    // An interrupted deploy left two processes on one unit: the wanted one stays, the other goes.
    const both = reconcile([proc({ env: { [PLAN_HASH_KEY]: 'v1' } }), proc({ pmId: 3, uniqueId: 'u3', pid: 103, env: { [PLAN_HASH_KEY]: 'v2' } })], 'shop', [want('web', 'v2')], {}, 'test')
    expect(both.workers[0]!.units[0]).toMatchObject({ action: 'keep', proc: { pmId: 3 }, extra: [{ pmId: 0 }] })
  })

  test('what changed in a replaced version, by part; the health agent is never a worker', () => {
    const parts = { 'max_memory_restart': 'a', 'env.PORT': 'b' }
    const running = proc({ env: { [PLAN_HASH_KEY]: 'v1', BUN_PM_PLAN: JSON.stringify({ ...parts, 'env.PORT': 'c', 'env.OLD': 'd' }) } })
    const plan = reconcile([running, proc({ name: 'shop:health', pmId: 9, uniqueId: 'u9' })], 'shop', [{ name: 'web', hash: 'v2', parts, replicas: 1 }], { shouldRemove: () => true }, 'test')
    expect(plan.workers[0]!.units[0]).toMatchObject({ action: 'replace', changed: ['env.OLD', 'env.PORT'] })
    expect(plan.removed).toEqual([])
  })

  test('a job that exited 0 with the wanted version is done and kept; another version, an exit 1 or a restart runs it again', () => {
    const job = (over = {}) => ({ ...want('migrate', 'v1'), job: true, ...over })
    const exited = (code: number, hash = 'v1') => proc({ name: 'migrate', status: 'stopped', pid: null, exitCode: code, env: { [PLAN_HASH_KEY]: hash } })
    const done = reconcile([exited(0)], 'shop', [job()], {}, 'test')
    expect(done.workers[0]!).toMatchObject({ change: 'keep', units: [{ action: 'keep', done: true, extra: [] }] })
    expect(actions(reconcile([exited(0, 'v0')], 'shop', [job()], {}, 'test'))).toEqual([['migrate', 'replace', ['start']]])
    expect(actions(reconcile([exited(1)], 'shop', [job()], {}, 'test'))).toEqual([['migrate', 'replace', ['start']]])
    expect(actions(reconcile([exited(0)], 'shop', [job()], { replace: new Set(['migrate']) }, 'test'))).toEqual([['migrate', 'replace', ['start']]])
    // A worker PM2 restarts is not a job: stopped is down, whatever its code.
    expect(actions(reconcile([exited(0)], 'shop', [job({ job: false })], {}, 'test'))).toEqual([['migrate', 'replace', ['start']]])
    // A running one is kept as running, not as done.
    expect(reconcile([proc({ name: 'migrate', env: { [PLAN_HASH_KEY]: 'v1' } })], 'shop', [job()], {}, 'test').workers[0]!.units[0]).toMatchObject({ action: 'keep', done: false })
  })

  test('a name another namespace uses is an error, and nothing is decided', () => {
    expect(() => reconcile([proc({ namespace: 'other' })], 'shop', [want('web', 'v1')], {}, '~/.pm2')).toThrow('PM2 (~/.pm2) already runs a process named "web" in namespace "other"')
  })
})
