import { describe, expect, test } from 'bun:test'
import { judge, toStatusRows } from '../../src/report/status-table.ts'
import { WorkspaceError } from '../../src/errors.ts'
import { initialState } from '../../src/model/lifecycle.ts'
import { type DesiredWorker, reconcile } from '../../src/supervise/reconcile.ts'
import { PLAN_HASH_KEY } from '../../src/model/version.ts'
import { dependents, findCycle, runInOrder, withDependencies } from '../../src/model/order.ts'
import { validateWorkspace } from '../../src/config/validate.ts'
import type { HealthSnapshot } from '../../src/types/agent.ts'
import type { ProcView } from '../../src/pm2/process-view.ts'

const chain = { a: [], b: ['a'], c: ['b'], d: [] }

describe('dependsOn', () => {
  test('cycles are found and named along their path', () => {
    expect(findCycle(chain)).toBeUndefined()
    expect(findCycle({ a: ['c'], b: ['a'], c: ['b'] })).toEqual(['a', 'c', 'b', 'a'])
    expect(findCycle({ a: ['a'] })).toEqual(['a', 'a'])
  })

  test('selecting a worker brings in what it depends on, transitively, in config order, saying for whom', () => {
    const { names, added } = withDependencies(['c', 'd'], chain, ['a', 'b', 'c', 'd'])
    expect(names).toEqual(['a', 'b', 'c', 'd'])
    expect([...added]).toEqual([['b', ['c']], ['a', ['c']]])
    expect(dependents(chain)).toEqual({ a: ['b'], b: ['c'] })
  })

  test('runInOrder: each waits for its prerequisites, independent ones run at once, a failure blocks what follows', async () => {
    const log: string[] = []
    const outcomes = await runInOrder(['a', 'b', 'c', 'd'], chain, async (name) => {
      log.push(`start ${name}`)
      await Bun.sleep(name === 'a' ? 20 : 1)
      log.push(`end ${name}`)
      return true
    })
    expect(log.indexOf('end a')).toBeLessThan(log.indexOf('start b'))
    expect(log.indexOf('end b')).toBeLessThan(log.indexOf('start c'))
    expect(log.indexOf('start d')).toBeLessThan(log.indexOf('end a'))
    expect([...outcomes.values()].every(o => o.ok)).toBe(true)
    const failed = await runInOrder(['a', 'b', 'c'], chain, async name => name !== 'a')
    expect(failed.get('b')).toEqual({ ok: false, blockedBy: 'a' })
    expect(failed.get('c')).toEqual({ ok: false, blockedBy: 'b' })
  })

  test('the config: unknown names and cycles are errors that name the file, the worker and the fix', () => {
    const check = (workers: unknown[]) => {
      try {
        validateWorkspace({ workers }, 'pm.config.ts')
        return 'accepted'
      }
      catch (error) {
        expect(error).toBeInstanceOf(WorkspaceError)
        return (error as Error).message
      }
    }
    expect(check([{ name: 'a', bun: 'a.ts', dependsOn: ['db'] }, { name: 'dbx', bun: 'b.ts' }]))
      .toBe('pm.config.ts: worker "a": `dependsOn` names "db", which is no worker (did you mean "dbx"?); the workers are a, dbx')
    expect(check([{ name: 'a', bun: 'a.ts', dependsOn: ['b'] }, { name: 'b', bun: 'b.ts', dependsOn: ['a'] }]))
      .toBe('pm.config.ts: `dependsOn` has a cycle: a -> b -> a; remove one of these dependencies')
    expect(check([{ name: 'a', bun: 'a.ts', heartbeat: '10 seconds' }])).toContain('worker "a": `heartbeat` "10 seconds" is not a duration; write \'http://127.0.0.1:3000/health\'')
    expect(check([{ name: 'a', bun: 'a.ts', options: { health: { interval: 'often' } } }])).toContain('health.interval "often" is not a duration')
    expect(check([{ name: 'a', bun: 'a.ts', options: { health: { failures: 0 } } }])).toContain('health.failures 0 must be a whole number of 1 or more')
    expect(check([{ name: 'a', bun: 'a.ts', options: { health: { retries: 3 } } }])).toContain('has an unknown field `retries`')
    // The seed's literal worker shape: every field written, '' for what it does not use.
    expect(check([{ name: 'a', group: 'primary', activated: true, heartbeat: '', bun: 'a.ts', node: '', tsx: '', options: {} }])).toBe('accepted')
  })
})

const proc = (over: Partial<ProcView>): ProcView => ({
  name: 'web', pmId: 0, namespace: 'shop', instance: 0, uniqueId: 'u0', pid: 100, status: 'online', restarts: 0, unstableRestarts: 0, exitCode: null, upSince: 1000,
  memory: 30 * 1024 * 1024, cpu: 0, env: {}, interpreterArgs: [], ...over,
})

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

  test('a name another namespace uses is an error, and nothing is decided', () => {
    expect(() => reconcile([proc({ namespace: 'other' })], 'shop', [want('web', 'v1')], {}, '~/.pm2')).toThrow('PM2 (~/.pm2) already runs a process named "web" in namespace "other"')
  })
})

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
  })
})
