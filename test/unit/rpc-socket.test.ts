// bun-pm's RPC client (src/pm2/rpc-socket.ts) against the server PM2's daemon runs: pm2-axon's rep
// socket and pm2-axon-rpc's Server, on a unix socket of the test's own.
import { afterEach, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectRpc, type RpcSocket } from '../../src/pm2/rpc-socket.ts'

const require = createRequire(import.meta.url)
const axon = require('pm2/modules/pm2-axon') as { socket: (type: string) => { bind: (path: string, done: () => void) => unknown, close: () => void } }
const { Server } = require('pm2/modules/pm2-axon-rpc') as { Server: new (socket: unknown) => { expose: (methods: Record<string, (...args: any[]) => void>) => void } }

const cleanups: (() => void)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0))
    cleanup()
})

async function daemonLike(methods: Record<string, (...args: any[]) => void>): Promise<{ path: string, close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'bun-pm-rpc-'))
  const path = join(dir, 'rpc.sock')
  const rep = axon.socket('rep')
  new Server(rep).expose(methods)
  // axon calls bind's callback for a port only: the socket file is what says it listens.
  rep.bind(path, () => {})
  while (!existsSync(path))
    await Bun.sleep(5)
  const close = () => {
    rep.close()
    rmSync(dir, { recursive: true, force: true })
  }
  cleanups.push(close)
  return { path, close }
}

test('calls get their answers, a large one whole, several at once each its own; an error is the daemon\'s message', async () => {
  const big = Array.from({ length: 2000 }, (_, i) => ({ pm_id: i, name: `w${i}`, pad: 'x'.repeat(200) }))
  const { path } = await daemonLike({
    getMonitorData: (_arg: unknown, done: (error: null, result: unknown) => void) => done(null, big),
    echo: (arg: unknown, done: (error: null, result: unknown) => void) => setTimeout(() => done(null, arg), Math.random() * 20),
    fails: (_arg: unknown, done: (error: Error) => void) => done(new Error('process name not found')),
  })
  const rpc: RpcSocket = await connectRpc(path, 2000)
  cleanups.push(() => rpc.close())
  expect(await rpc.call('getMonitorData', {})).toEqual(big)
  expect(await Promise.all(Array.from({ length: 20 }, (_, i) => rpc.call('echo', { i })))).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })))
  await expect(rpc.call('fails', {})).rejects.toThrow('process name not found')
})

test('a daemon that goes away: the call waiting on it fails, and so does the next', async () => {
  const daemon = await daemonLike({ never: () => {} })
  const rpc = await connectRpc(daemon.path, 2000)
  const waiting = rpc.call('never', {})
  daemon.close()
  await expect(waiting).rejects.toThrow('closed')
  await expect(rpc.call('never', {})).rejects.toThrow('closed')
})

test('no socket there: tried again until the time given, then the errno', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bun-pm-rpc-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const started = Date.now()
  await expect(connectRpc(join(dir, 'rpc.sock'), 300)).rejects.toMatchObject({ code: 'ENOENT' })
  expect(Date.now() - started).toBeGreaterThanOrEqual(200)
})
