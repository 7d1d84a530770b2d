// A PM2 client that speaks to the daemon's sockets without loading PM2's API (~60 ms saved), for
// the commands that only list and stop.

import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { ProcessDescription } from 'pm2'
import { WorkspaceError } from '../errors.ts'
import { trace } from '../trace.ts'
import { byId, connectPm2, type Pm2Client, toError } from './client.ts'
import { type Pm2Bus, SLIM_LIST_KEY, toProcView } from './process-view.ts'
import { type ConnectError, connectRpc, isDenied, type RpcSocket } from './rpc-socket.ts'

const require = createRequire(import.meta.url)
const CONNECT_TIMEOUT_MS = 5000
const CALL_TIMEOUT_MS = 30_000

interface AxonSocket {
  connect: (path: string) => AxonSocket
  once: (event: string, listener: (...args: unknown[]) => void) => void
  on: (event: string, listener: (...args: unknown[]) => void) => void
  close: () => void
}

/**
 * A PM2 client for what is asked most — the process list and the event bus — spoken straight
 * over the daemon's two sockets (calls in PM2's frames, rpc-socket.ts; the bus with axon, PM2's
 * own transport shipped inside pm2, loaded only for the bus), without loading PM2's API: that
 * import is most of what `status` costs and what the health agent needs before it listens.
 * Starting, stopping and the rest load the full client on first use. Only for a daemon that
 * runs: the sockets are not retried for long.
 */
export function connectLight(home: string): Promise<Pm2Client> {
  let light = lights.get(home)
  if (!light) {
    lights.set(home, light = openLight(home))
    light.catch(() => lights.delete(home))
  }
  return light
}

/** Closes the shared client of `home`, if one is open. */
export function closeLight(home: string): void {
  void lights.get(home)?.then(client => client.disconnect(), () => {})
}

/** The daemon's two sockets for `home`, as PM2 names them (pm2/paths.js, PM2_DAEMON_RPC_PORT and PM2_DAEMON_PUB_PORT override). */
export function socketPaths(home: string): { rpc: string, pub: string } {
  return { rpc: process.env.PM2_DAEMON_RPC_PORT ?? join(home, 'rpc.sock'), pub: process.env.PM2_DAEMON_PUB_PORT ?? join(home, 'pub.sock') }
}

/**
 * A light client of its own (not shared with the rest of the process), whose restart and stop go
 * over the same socket as PM2's API sends them: for a health agent inside the daemon, where
 * several agents (namespaces, an agent and its replacement) each connect and disconnect, and
 * PM2's API would be one more copy of PM2 in the daemon.
 */
export function connectOwnLight(home: string): Promise<Pm2Client> {
  return openLight(home, true)
}

/** The shared client of each daemon's home (a command may look at two: `start`'s and a dev session's). */
const lights = new Map<string, Promise<Pm2Client>>()

async function openLight(home: string, own = false): Promise<Pm2Client> {
  const { rpc: rpcPath, pub: pubPath } = socketPaths(home)
  const rpc = await connectOrSay(rpcPath, home)
  const sockets: { close: () => void }[] = [rpc]
  trace('pm2 sockets connected')
  let full: Promise<Pm2Client> | undefined
  const heavy = () => (full ??= connectPm2(home))
  const remote = <T>(method: string, arg: unknown = {}) => new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pm2 ${method}: no answer after ${CALL_TIMEOUT_MS / 1000} s (PM2_HOME=${home})`)), CALL_TIMEOUT_MS)
    rpc.call(method, arg).then((result) => {
      clearTimeout(timer)
      resolve(result as T)
    }, (error: unknown) => {
      clearTimeout(timer)
      reject(toError(error, method))
    })
  })
  return {
    home,
    // A daemon bun-pm spawned answers with only what toProcView reads (daemon-slim-list.ts); another, in full.
    list: async () => (await remote<ProcessDescription[]>('getMonitorData', { [SLIM_LIST_KEY]: true })).map(toProcView),
    launchBus: async () => {
      // The bus is axon's sub-emitter (PM2's own transport, shipped inside pm2), loaded only here.
      let axon: { socket: (type: string) => AxonSocket }
      try {
        axon = require('pm2/modules/pm2-axon')
      }
      catch {
        if (own)
          throw new Error('pm2: its transport (pm2/modules/pm2-axon) is not where bun-pm looks for it')
        return (await heavy()).launchBus()
      }
      const bus = axon.socket('sub-emitter')
      sockets.push(await connected(bus, pubPath, home))
      return bus as unknown as Pm2Bus
    },
    spawn: async apps => (await heavy()).spawn(apps),
    // An agent inside the daemon restarts by id as stop does (no second copy of PM2's API in the daemon).
    restart: async id => own && typeof id === 'number' ? byId(id, 'restart', remote) : (await heavy()).restart(id),
    send: async (id, data) => void await remote('sendDataToProcessId', { id, topic: 'bun-pm', data, type: 'process:msg' }),
    // By id, as PM2's API does in the end (client.ts, byId), without loading it.
    stop: async id => typeof id === 'number' ? byId(id, 'stop', remote) : (await heavy()).stop(id),
    delete: async id => typeof id === 'number' ? byId(id, 'delete', remote) : (await heavy()).delete(id),
    killDaemon: async () => (await heavy()).killDaemon(),
    disconnect: () => {
      if (!own)
        lights.delete(home)
      for (const socket of sockets)
        socket.close()
      void full?.then(c => c.disconnect())
    },
  }
}

/** The daemon's RPC socket, or an error that says why in words: another user's daemon, or none answering. */
async function connectOrSay(path: string, home: string): Promise<RpcSocket> {
  try {
    return await connectRpc(path, CONNECT_TIMEOUT_MS)
  }
  catch (error) {
    throw isDenied((error as ConnectError).code) ? permissionDenied(path, home) : noAnswer(path, home)
  }
}

/** Another user's daemon: nothing to wait for. */
function permissionDenied(path: string, home: string): WorkspaceError {
  return new WorkspaceError(`${path}: permission denied; this PM2 daemon (PM2_HOME=${home}) is another user's: run bun-pm as that user, or set PM2_HOME to your own`)
}

function noAnswer(path: string, home: string): Error {
  return new Error(`pm2: no daemon answered on ${path} within ${CONNECT_TIMEOUT_MS / 1000} s (PM2_HOME=${home})`)
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
      reject(noAnswer(path, home))
    }, CONNECT_TIMEOUT_MS)
    sock.once('connect', () => {
      clearTimeout(timer)
      resolve(sock)
    })
    // axon retries on its own; an error it cannot get past (another user's socket) is said once, here.
    sock.on('error', (error) => {
      if (!isDenied((error as NodeJS.ErrnoException).code))
        return
      clearTimeout(timer)
      sock.close()
      reject(permissionDenied(path, home))
    })
  })
}
