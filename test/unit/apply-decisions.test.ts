import { describe, expect, test } from 'bun:test'
import { agentAction, agentMustListenFirst, dependenciesToWaitFor, runningVersions, spreadBlocked } from '../../src/supervise/apply-decisions.ts'
import { AGENT_SPEC_KEY } from '../../src/model/agent-spec.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'
import { PLAN_HASH_KEY } from '../../src/model/version.ts'
import type { WorkerPlan } from '../../src/supervise/reconcile.ts'
import type { AgentSpec } from '../../src/types/agent.ts'
import { proc } from '../helpers/proc-view.ts'

const policy = toHealthPolicy('http://127.0.0.1:3000/health', {})
const spec = (current: string, revision = 1, extra: string[] = []): AgentSpec => ({
  namespace: 'shop',
  revision,
  workers: { web: { replicas: 1, current, versions: Object.fromEntries([current, ...extra].map(h => [h, { policy }])) } },
})
const agent = (s: AgentSpec, over = {}) => proc({ name: 'shop:health', pmId: 9, uniqueId: 'a9', env: { [AGENT_SPEC_KEY]: JSON.stringify(s) }, ...over })
const web = (hash: string, over = {}) => proc({ env: { [PLAN_HASH_KEY]: hash }, ...over })

describe('the health agent an apply needs', () => {
  test('kept when its spec covers the plan; told the new spec when not; replaced when none runs or two do', () => {
    expect(agentAction([agent(spec('v1')), web('v1')], 'shop', spec('v1', 2), undefined).action).toBe('keep')
    const deploy = agentAction([agent(spec('v1')), web('v1')], 'shop', spec('v2', 2), undefined)
    // It goes on judging the version that still serves, by that version's own policy.
    expect(deploy).toMatchObject({ action: 'send', running: { pmId: 9 } })
    expect(Object.keys(deploy.spec.workers.web!.versions).sort()).toEqual(['v1', 'v2'])
    expect(agentAction([web('v1')], 'shop', spec('v1'), undefined).action).toBe('replace')
    expect(agentAction([agent(spec('v1')), agent(spec('v1'), { pmId: 10, uniqueId: 'a10' })], 'shop', spec('v1'), undefined).action).toBe('replace')
    expect(agentAction([agent(spec('v1'), { status: 'stopped', pid: null })], 'shop', spec('v1'), undefined).action).toBe('replace')
    // Its last word is newer than its environment (a spec was sent since it booted): that is what it judges by.
    expect(agentAction([agent(spec('v1')), web('v2')], 'shop', spec('v2', 3), spec('v2', 2)).action).toBe('keep')
  })

  test('it must listen before the workers start when something happens only once: beats, a job\'s exit, a run without a check', () => {
    const w = (heartbeat: string | undefined, options = {}) => ({ health: toHealthPolicy(heartbeat, options) })
    expect(agentMustListenFirst([w('http://127.0.0.1:3000/'), w('tcp://127.0.0.1:5432')])).toBe(false)
    expect(agentMustListenFirst([w('http://127.0.0.1:3000/'), w('5s')])).toBe(true)
    expect(agentMustListenFirst([w(undefined)])).toBe(true)
    expect(agentMustListenFirst([w('http://127.0.0.1:3000/', { autorestart: false })])).toBe(true)
  })

  test('the versions that run: by plan hash, only up processes of the namespace', () => {
    const versions = runningVersions([web('v1'), web('v2', { pmId: 1 }), web('v3', { pmId: 2, status: 'stopped', pid: null }), web('v4', { pmId: 3, namespace: 'other' })], 'shop')
    expect([...versions.get('web')!].sort()).toEqual(['v1', 'v2'])
  })
})

describe('order within an apply', () => {
  const plan = (name: string, change: WorkerPlan['change']): WorkerPlan => ({ name, units: [], surplus: [], change, from: 0 })
  const deps = { api: ['db', 'cache', 'elsewhere'] }

  test('a worker started afresh waits for every dependency this apply runs; one replaced only for those that start afresh', () => {
    expect(dependenciesToWaitFor(plan('api', 'start'), deps, ['db', 'cache', 'api'], new Set(['cache']))).toEqual(['db', 'cache'])
    expect(dependenciesToWaitFor(plan('api', 'replace'), deps, ['db', 'cache', 'api'], new Set(['cache']))).toEqual(['cache'])
    expect(dependenciesToWaitFor(plan('api', 'scale'), deps, ['db', 'cache', 'api'], new Set())).toEqual([])
  })

  test('a worker blocked by a blocked worker carries the first one\'s reason; a failure is thrown', () => {
    const blocked = new Map([['api', { dependency: 'db', why: 'db errored' }]])
    const all = spreadBlocked(new Map([['db', { ok: true as const }], ['api', { ok: false as const }], ['web', { ok: false as const, blockedBy: 'api' }]]), blocked)
    expect([...all]).toEqual([['api', { dependency: 'db', why: 'db errored' }], ['web', { dependency: 'db', why: 'db errored' }]])
    expect(() => spreadBlocked(new Map([['db', { ok: false as const, error: new Error('PM2 refused db') }]]), new Map())).toThrow('PM2 refused db')
  })
})
