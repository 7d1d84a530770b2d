import { describe, expect, test } from 'bun:test'
import { startTogether } from '../../src/pm2/apply.ts'
import type { ProcView } from '../../src/pm2/client.ts'
import type { Pm2StartOptions } from '../../src/workspace/plan-workers.ts'

const app = (name: string): Pm2StartOptions => ({ name, env: {} })
const listed = (name: string, namespace = 'shop') => ({ name, namespace }) as ProcView

describe('the first wave of a start', () => {
  test('one call for all; when PM2 refuses it, the apps it did not start go alone, and only those', async () => {
    const calls: string[][] = []
    const ok = { startAll: async (apps: { name?: string }[]) => void calls.push(apps.map(a => a.name!)), list: async () => [] }
    expect(await startTogether(ok, 'shop', [app('a'), app('b')])).toEqual([])
    expect(calls).toEqual([['a', 'b']])
    // PM2 took a and c before it refused b; another namespace's `b` is not ours.
    const refusing = { startAll: async () => { throw new Error('pm2 start a, b, c: refused b') }, list: async () => [listed('a'), listed('c'), listed('b', 'other')] }
    expect((await startTogether(refusing, 'shop', [app('a'), app('b'), app('c')])).map(a => a.name)).toEqual(['b'])
  })
})
