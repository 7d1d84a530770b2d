import { describe, expect, test } from 'bun:test'
import { WorkspaceError } from '../../src/errors.ts'
import { dependents, findCycle, runInOrder, withDependencies } from '../../src/model/order.ts'
import { validateWorkspace } from '../../src/config/validate.ts'

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
