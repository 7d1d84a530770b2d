import { describe, expect, test } from 'bun:test'
import { toHealthPolicy } from '../../src/model/policy.ts'
import { replicaCount, replicaPolicy, unitLabel, UnitNames, unitPolicies, unitsOf, workerOf } from '../../src/model/units.ts'

describe('replicas: units and their checks', () => {
  test('instances resolves like PM2: a count, max or 0 = cores, -k = cores less k, never below 1', () => {
    expect([undefined, 1, 3, 'max', 0, -1, -8, 'x'].map(n => replicaCount(n, 4))).toEqual([1, 1, 3, 4, 4, 3, 1, 1])
  })

  test('a worker of one process is its name; replicas are name#index, and a leftover keeps its index', () => {
    expect(unitsOf('web', 1)).toEqual(['web'])
    expect(unitsOf('web', 3)).toEqual(['web#0', 'web#1', 'web#2'])
    expect([unitLabel('web', 0, 1), unitLabel('web', 1, 1), unitLabel('web', 0, 2)]).toEqual(['web', 'web#1', 'web#0'])
    expect([workerOf('web#2'), workerOf('web')]).toEqual(['web', 'web'])
  })

  test('with increment_var, a heartbeat on the base port checks each replica on its own port', () => {
    const http = toHealthPolicy('http://127.0.0.1:3000/health', {})
    expect(replicaPolicy(http, 2, 'PORT', { PORT: '3000' }).heartbeat).toEqual({ kind: 'http', url: 'http://127.0.0.1:3002/health' })
    // Another port, no increment_var, or a push heartbeat: the same check for every replica.
    expect(replicaPolicy(http, 2, 'PORT', { PORT: '4000' })).toBe(http)
    expect(replicaPolicy(http, 2, undefined, { PORT: '3000' })).toBe(http)
    const tcp = toHealthPolicy('tcp://localhost:5000', {})
    expect(replicaPolicy(tcp, 1, 'PORT', { PORT: '5000' }).heartbeat).toEqual({ kind: 'tcp', host: 'localhost', port: 5001 })
    const push = toHealthPolicy('5s', {})
    expect(replicaPolicy(push, 1, 'PORT', { PORT: '5000' })).toBe(push)
    expect(Object.keys(unitPolicies([{ name: 'web', replicas: 2, health: http, incrementVar: 'PORT', env: { PORT: '3000' } }, { name: 'job', replicas: 1, health: push, env: {} }]))).toEqual(['web#0', 'web#1', 'job'])
  })
})

describe('units by PM2 id', () => {
  test('learnt from events (instance index) or a listing (how many share a name); log lines only carry the id', () => {
    const names = new UnitNames()
    expect(names.learn(4, 'web', 1, 2)).toBe('web#1')
    expect(names.learnListing([{ pmId: 7, name: 'tick', instance: 0 }, { pmId: 8, name: 'api', instance: 0 }, { pmId: 9, name: 'api', instance: 1 }])).toEqual(['tick', 'api#0', 'api#1'])
    expect([names.of(4, 'web'), names.of(9, 'api'), names.of(99, 'new')]).toEqual(['web#1', 'api#1', 'new'])
    expect(names.known(99)).toBeUndefined()
  })
})
