import { describe, expect, test } from 'bun:test'
import { toHealthPolicy } from '../../src/model/policy.ts'
import { mergeOptions } from '../../src/config/defaults.ts'

describe('option merging', () => {
  test('worker over defaults over built-ins; arrays combine, argument lists are replaced; health merges key by key', () => {
    const merged = mergeOptions(
      { max_memory_restart: '1G', ignore_watch: ['tmp'], node_args: ['--b'], health: { failures: 5 } },
      { max_memory_restart: '200M', ignore_watch: ['logs'], node_args: ['--a'], health: { interval: '1s' }, kill_timeout: 3000 },
    )
    expect(merged).toMatchObject({
      max_memory_restart: '1G',
      kill_timeout: 3000,
      max_restarts: 5,
      autorestart: true,
      ignore_watch: ['tmp', 'logs', 'node_modules'],
      node_args: ['--b'],
      health: { failures: 5, interval: '1s' },
    })
    const policy = toHealthPolicy('http://127.0.0.1:1/', merged)
    expect([policy.failures, policy.intervalMs, policy.maxRestarts, policy.minUptimeMs]).toEqual([5, 1000, 5, 30_000])
  })
})
