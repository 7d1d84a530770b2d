import { describe, expect, test } from 'bun:test'
import { identify, isAnotherProcess } from '../../src/agent/track.ts'
import { newTracked, takeMessage } from '../../src/agent/tracked.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'
import type { AgentSpec } from '../../src/types/agent.ts'

const http = toHealthPolicy('http://127.0.0.1:3000/health', {})
const spec: AgentSpec = {
  namespace: 'shop',
  revision: 1,
  workers: {
    web: { replicas: 2, incrementVar: 'PORT', current: 'v2', versions: { v2: { policy: http, base: '3000' }, v1: { policy: toHealthPolicy('http://127.0.0.1:3000/old', {}), base: '3000' } } },
    job: { replicas: 1, current: 'j1', versions: { j1: { policy: toHealthPolicy('5s', {}) } } },
  },
}

describe('which process the agent judges, and how', () => {
  test('a process of a watched worker: its unit, and its own version\'s policy (replica ports shifted); the wanted one when its version is unknown', () => {
    const web1 = identify({ name: 'web', pmId: 4, namespace: 'shop', uniqueId: 'u4', instance: 1, hash: 'v1' }, spec)!
    expect(web1).toMatchObject({ unit: 'web#1', worker: 'web', index: 1, hash: 'v1' })
    expect(web1.policy.heartbeat).toEqual({ kind: 'http', url: 'http://127.0.0.1:3001/old' })
    expect(identify({ name: 'web', pmId: 5, namespace: 'shop', instance: 0, hash: 'v9' }, spec)!.policy.heartbeat).toEqual({ kind: 'http', url: 'http://127.0.0.1:3000/health' })
    expect(identify({ name: 'job', pmId: 6, namespace: 'shop', instance: 0 }, spec)!.unit).toBe('job')
    expect(identify({ name: 'web', pmId: 4, namespace: 'other', instance: 0 }, spec)).toBeUndefined()
    expect(identify({ name: 'shop:health', pmId: 0, namespace: 'shop', instance: 0 }, spec)).toBeUndefined()
    expect([isAnotherProcess({ uniqueId: 'a' }, { uniqueId: 'b' }), isAnotherProcess({ uniqueId: 'a' }, { uniqueId: 'a' }), isAnotherProcess({ uniqueId: '' }, { uniqueId: 'b' })]).toEqual([true, false, false])
  })

  test('a worker\'s messages: a heartbeat() is a passed check when it is news; a second "loaded" from one pid is a reload; an early failure waits for its run', () => {
    const job = newTracked(identify({ name: 'job', pmId: 6, namespace: 'shop', instance: 0 }, spec)!, 0)
    expect(takeMessage(job, { kind: 'beat' }, 10)).toEqual({ type: 'check', at: 10, ok: true, detail: 'heartbeat() called' })
    expect(job.lastBeatAt).toBe(10)
    expect(takeMessage(job, { kind: 'loaded', pid: 7 }, 20)).toBeUndefined()
    expect(takeMessage(job, { kind: 'loaded', pid: 7 }, 30)).toEqual({ type: 'reloaded', at: 30 })
    expect(takeMessage(job, { kind: 'failed', detail: 'failed at startup: x' }, 40)).toBeUndefined()
    expect(job.early).toEqual({ at: 40, detail: 'failed at startup: x' })
    job.state = { ...job.state, running: true }
    expect(takeMessage(job, { kind: 'failed', detail: 'threw: y' }, 50)).toEqual({ type: 'failed', at: 50, detail: 'threw: y' })
  })
})
