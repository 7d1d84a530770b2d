import { describe, expect, test } from 'bun:test'
import { judge, toStatusRows } from '../../src/cli/status-table.ts'
import { WorkspaceError } from '../../src/errors.ts'
import type { HealthSnapshot } from '../../src/health/state-file.ts'
import { initialState } from '../../src/health/reducer.ts'
import type { ProcView } from '../../src/pm2/client.ts'
import { diffProcesses, hashOptions, PLAN_HASH_KEY } from '../../src/pm2/reconcile.ts'
import { dependents, findCycle, runInOrder, withDependencies } from '../../src/workspace/order.ts'
import type { Pm2StartOptions } from '../../src/workspace/plan-workers.ts'
import { validateWorkspace } from '../../src/workspace/validate-workspace.ts'

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
  name: 'web', pmId: 0, namespace: 'shop', instance: 0, pid: 100, status: 'online', restarts: 0, unstableRestarts: 0, exitCode: null, upSince: 1000,
  memory: 30 * 1024 * 1024, cpu: 0, env: {}, interpreterArgs: [], ...over,
})

describe('reconcile, decided without a daemon', () => {
  const web: Pm2StartOptions = { name: 'web', script: '/w.ts', env: { A: '1' } }
  const hashed = { [PLAN_HASH_KEY]: hashOptions(web) }

  test('identical and up: kept; changed or down: replaced; missing: started; others: removed when allowed', () => {
    const diff = diffProcesses([
      proc({ name: 'web', env: hashed }),
      proc({ name: 'tick', pmId: 1, env: { [PLAN_HASH_KEY]: 'old' } }),
      proc({ name: 'gone', pmId: 2 }),
    ], 'shop', [web, { name: 'tick', script: '/t.ts', env: {} }, { name: 'new', script: '/n.ts', env: {} }], { shouldRemove: () => true }, 'test')
    expect([diff.kept, diff.replaced, diff.started, diff.removed]).toEqual([['web'], ['tick'], ['new'], ['gone']])
    expect(diff.toDelete.map(p => p.name)).toEqual(['tick', 'gone'])
    expect(diff.toStart.map(o => [o.name, o.env[PLAN_HASH_KEY]])).toEqual([['tick', hashOptions({ name: 'tick', script: '/t.ts', env: {} })], ['new', hashOptions({ name: 'new', script: '/n.ts', env: {} })]])
    const errored = diffProcesses([proc({ status: 'errored', env: hashed })], 'shop', [web], {}, 'test')
    expect(errored.replaced).toEqual(['web'])
    // PM2 says online, but the process is gone (killed, or its respawn failed): not kept.
    expect(diffProcesses([proc({ pid: null, env: hashed })], 'shop', [web], {}, 'test').replaced).toEqual(['web'])
  })

  test('instances: N is kept when its N processes run as wanted; a new N adds or removes only the difference', () => {
    const two: Pm2StartOptions = { ...web, instances: 2 }
    const hash = { [PLAN_HASH_KEY]: hashOptions(two) }
    const running = [proc({ env: hash }), proc({ pmId: 1, instance: 1, pid: 101, env: hash })]
    expect(diffProcesses(running, 'shop', [two], {}, 'test').kept).toEqual(['web'])
    // The count is not part of the hash: 2 -> 3 adds one, 2 -> 1 removes the highest index.
    const up = diffProcesses(running, 'shop', [{ ...two, instances: 3 }], {}, 'test')
    expect([up.scaled, up.toDelete, up.toStart]).toEqual([[{ name: 'web', from: 2, to: 3 }], [], []])
    expect(up.toAdd).toMatchObject([{ name: 'web', from: { pmId: 0 }, count: 1 }])
    const down = diffProcesses(running, 'shop', [{ ...two, instances: 1 }], {}, 'test')
    expect([down.scaled, down.toDelete.map(p => p.pmId), down.toAdd]).toEqual([[{ name: 'web', from: 2, to: 1 }], [1], []])
    // One replica down, or other options: all of them are replaced.
    expect(diffProcesses([proc({ env: hash }), proc({ pmId: 1, instance: 1, pid: null, env: hash })], 'shop', [{ ...two, instances: 3 }], {}, 'test').replaced).toEqual(['web'])
    expect(diffProcesses(running, 'shop', [{ ...two, env: { A: '2' } }], {}, 'test').replaced).toEqual(['web'])
    expect(diffProcesses(running, 'shop', [two], { replace: new Set(['web']) }, 'test').toDelete).toHaveLength(2)
  })

  test('a name another namespace uses is an error, and nothing is decided', () => {
    expect(() => diffProcesses([proc({ namespace: 'other' })], 'shop', [web], {}, '~/.pm2')).toThrow('PM2 (~/.pm2) already runs a process named "web" in namespace "other"')
  })
})

describe('status: health from PM2 and the agent', () => {
  const snapshot = (state: Partial<HealthSnapshot['workers'][string]>): HealthSnapshot => ({
    namespace: 'shop',
    agentPid: 1,
    writtenAt: 0,
    workers: { web: { ...initialState(0), running: true, pid: 100, since: 1000, passed: true, lastOkAt: 4000, health: 'ready', check: 'GET /health', ...state } },
  })

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
