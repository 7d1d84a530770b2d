import { expect, test } from 'bun:test'
import { besideProduction } from '../../src/dev/beside-production.ts'

test('a dev worker is left out when its production process listens on the port it checks, or on any port when it checks none', () => {
  const http = (port: number) => ({ kind: 'http' as const, url: `http://127.0.0.1:${port}/health` })
  const production = [{ worker: 'web', pid: 10, ports: [3000] }, { worker: 'tick', pid: 11, ports: [] }, { worker: 'admin', pid: 12, ports: [4000, 4001] }]
  const held = besideProduction([
    { name: 'web', heartbeat: http(3000) },
    { name: 'tick', heartbeat: { kind: 'push', everyMs: 1000 } },
    { name: 'admin', heartbeat: { kind: 'none' } },
    { name: 'new', heartbeat: http(3000) },
  ], production, '/home/me/.pm2')
  expect([...held.keys()]).toEqual(['web', 'admin'])
  expect(held.get('web')).toBe('`start` runs it on the PM2 daemon of /home/me/.pm2 (pid 10, listening on 3000); a dev copy would share that port and serve production traffic: stop it first (`bun-pm stop --workers=web`), or give dev another port (in .env.local)')
  expect(held.get('admin')).toContain('(pid 12, listening on 4000, 4001); a dev copy would share those ports')
  // Another port in dev (.env.local): it runs beside production.
  expect(besideProduction([{ name: 'web', heartbeat: http(3100) }], production, '~/.pm2').size).toBe(0)
})
