import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { ProcessDescription } from 'pm2'
import { trace } from '../trace.ts'
import { connectPm2, type Pm2Bus, type Pm2Client, toError, toProcView } from './client.ts'

const require = createRequire(import.meta.url)
const CONNECT_TIMEOUT_MS = 5000
const CALL_TIMEOUT_MS = 30_000

interface AxonSocket {
  connect: (path: string) => AxonSocket
  once: (event: string, listener: (...args: unknown[]) => void) => void
  close: () => void
}

/**
 * A PM2 client for what is asked most — the process list and the event bus — spoken straight
 * over the daemon's two sockets with PM2's own transport (axon, shipped inside pm2), without
 * loading PM2's API: that import is most of what `status` costs and what the health agent needs
 * before it listens. Starting, stopping and the rest load the full client on first use. Only for
 * a daemon that runs: the sockets are not retried for long.
 */
export function connectLight(home: string): Promise<Pm2Client> {
  light ??= openLight(home)
  return light
}

let light: Promise<Pm2Client> | undefined

async function openLight(home: string): Promise<Pm2Client> {
  const axon = require('pm2/modules/pm2-axon') as { socket: (type: string) => AxonSocket }
  const rpc = require('pm2/modules/pm2-axon-rpc') as { Client: new (socket: AxonSocket) => { call: (method: string, arg: unknown, done: (error: unknown, result: unknown) => void) => void } }
  // PM2's own names for them (pm2/paths.js), overridable as PM2 allows.
  const rpcPath = process.env.PM2_RPC_PORT ?? join(home, 'rpc.sock')
  const pubPath = process.env.PM2_PUB_PORT ?? join(home, 'pub.sock')
  const req = axon.socket('req')
  const client = new rpc.Client(req)
  const sockets: AxonSocket[] = [await connected(req, rpcPath, home)]
  trace('pm2 sockets connected')
  let full: Promise<Pm2Client> | undefined
  const heavy = () => (full ??= connectPm2(home))
  const remote = <T>(method: string) => new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pm2 ${method}: no answer after ${CALL_TIMEOUT_MS / 1000} s (PM2_HOME=${home})`)), CALL_TIMEOUT_MS)
    client.call(method, {}, (error, result) => {
      clearTimeout(timer)
      if (error)
        reject(toError(error, method))
      else
        resolve(result as T)
    })
  })
  return {
    home,
    list: async () => (await remote<ProcessDescription[]>('getMonitorData')).map(toProcView),
    launchBus: async () => {
      const bus = axon.socket('sub-emitter')
      sockets.push(await connected(bus, pubPath, home))
      return bus as unknown as Pm2Bus
    },
    start: async options => (await heavy()).start(options),
    startAll: async apps => (await heavy()).startAll(apps),
    duplicate: async id => (await heavy()).duplicate(id),
    restart: async id => (await heavy()).restart(id),
    stop: async id => (await heavy()).stop(id),
    delete: async id => (await heavy()).delete(id),
    killDaemon: async () => (await heavy()).killDaemon(),
    disconnect: () => {
      light = undefined
      for (const socket of sockets)
        socket.close()
      void full?.then(c => c.disconnect())
    },
  }
}

/**
 * Connects `socket` to a daemon's socket file; resolves with the connected socket (a sub-emitter's
 * is the one it wraps, as in pm2's own launchBus), rejects when no daemon answers within 5 s.
 */
function connected(socket: AxonSocket, path: string, home: string): Promise<AxonSocket> {
  return new Promise((resolve, reject) => {
    const sock = socket.connect(path)
    const timer = setTimeout(() => {
      sock.close()
      reject(new Error(`pm2: no daemon answered on ${path} within ${CONNECT_TIMEOUT_MS / 1000} s (PM2_HOME=${home})`))
    }, CONNECT_TIMEOUT_MS)
    sock.once('connect', () => {
      clearTimeout(timer)
      resolve(sock)
    })
  })
}
