import { describe, expect, test } from 'bun:test'
import { countChanges, describeChanges, withoutBlocked } from '../../src/cli/describe-changes.ts'

describe('what an apply changed, in words', () => {
  const result = { started: ['db', 'api', 'admin'], replaced: ['queue'], kept: ['cache'], removed: [], scaled: [] }

  test('a worker meant to start whose dependency was not ready is "not started", never "started"', () => {
    const changes = withoutBlocked(result, new Set(['api', 'queue']))
    expect(changes).toMatchObject({ started: ['db', 'admin'], replaced: [], notStarted: ['api', 'queue'] })
    expect(describeChanges(changes)).toBe('started db, admin; unchanged cache; not started api, queue (a dependency is not ready)')
    expect(countChanges(changes)).toBe('2 started, 1 unchanged, 2 not started')
  })

  test('nothing blocked, nothing changed', () => {
    expect(describeChanges(withoutBlocked({ ...result, started: [], replaced: [] }, new Set()))).toBe('unchanged cache')
    expect(describeChanges(withoutBlocked({ started: [], replaced: [], kept: [], removed: [], scaled: [] }, new Set()))).toBe('nothing to do')
  })
})
