// PM2's RPC (rpc.sock) spoken as pm2-axon's req socket and pm2-axon-rpc's client speak it, without
// loading them: under bun, axon's node:net, node:stream and debug cost ~40 ms of every `status`.
// A call is `[{ type: 'call', method, args: [arg] }, id]`; the answer `[{ args: [result] } or
// { error, stack }, id]`. Under bun the socket is Bun.connect's; elsewhere node:net's.

import { encodeFrame, FrameReader } from './amp.ts'

export interface RpcSocket {
  /** Calls `method` with one argument; rejects with the daemon's error, or when the socket closes first. */
  call: (method: string, arg: unknown) => Promise<unknown>
  close: () => void
}

/** What the daemon sent back for a call. */
interface Answer { args?: unknown[], error?: unknown, stack?: string }

/** The transport under the calls: bytes out, bytes in, and its end. */
interface Wire {
  write: (bytes: Buffer) => void
  end: () => void
}

/** An errno that says the socket is another user's: trying again changes nothing. */
export const isDenied = (code: string | undefined) => code === 'EACCES' || code === 'EPERM'

/** Why a connect failed, as the errno code (`ENOENT`, `ECONNREFUSED`, `EACCES`, …). */
export class ConnectError extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
  }
}

/**
 * Connects to the daemon's RPC socket at `path`. A socket that is not there yet or refuses is
 * tried again every 100 ms until `timeoutMs` (a daemon still starting); a permission error is
 * thrown at once (a ConnectError whose code says so).
 */
export async function connectRpc(path: string, timeoutMs: number): Promise<RpcSocket> {
  const pending = new Map<string, { resolve: (value: unknown) => void, reject: (error: Error) => void }>()
  const reader = new FrameReader()
  const identity = String(process.pid)
  let next = 0
  let closed = false
  const onData = (chunk: Uint8Array) => {
    for (const [answer, id] of reader.push(chunk) as [Answer, string][]) {
      const call = pending.get(id)
      pending.delete(id)
      if (!call)
        continue
      if (answer && typeof answer === 'object' && 'error' in answer) {
        const error = new Error(String(answer.error))
        if (answer.stack)
          error.stack = answer.stack
        call.reject(error)
      }
      else {
        call.resolve(answer?.args?.[0])
      }
    }
  }
  const onClose = () => {
    closed = true
    for (const call of pending.values())
      call.reject(new Error(`pm2: the daemon closed ${path}`))
    pending.clear()
  }
  const deadline = Date.now() + timeoutMs
  let wire: Wire
  for (;;) {
    try {
      wire = await openWire(path, onData, onClose)
      break
    }
    catch (error) {
      const code = (error as { code?: string }).code ?? 'EUNKNOWN'
      if (isDenied(code) || Date.now() + 100 > deadline)
        throw new ConnectError(code, `${path}: ${(error as Error).message}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  return {
    call: (method, arg) => new Promise((resolve, reject) => {
      if (closed)
        return reject(new Error(`pm2: the daemon closed ${path}`))
      const id = `${identity}:${next++}`
      pending.set(id, { resolve, reject })
      wire.write(encodeFrame([{ type: 'call', method, args: [arg] }, id]))
    }),
    close: () => {
      closed = true
      wire.end()
    },
  }
}

/** A connected stream to `path`: Bun's own socket under bun, node:net's elsewhere. */
async function openWire(path: string, onData: (chunk: Uint8Array) => void, onClose: () => void): Promise<Wire> {
  if (typeof Bun !== 'undefined') {
    // Bun's write takes what fits and says how much; the rest goes when the socket drains.
    let queued: Buffer[] = []
    const flush = (socket: { write: (bytes: Uint8Array) => number }) => {
      while (queued.length > 0) {
        const head = queued[0]!
        const written = socket.write(head)
        if (written < head.length) {
          queued[0] = head.subarray(Math.max(written, 0))
          return
        }
        queued.shift()
      }
    }
    const socket = await Bun.connect({
      unix: path,
      socket: {
        data: (_, chunk) => onData(chunk),
        drain: s => flush(s),
        close: () => onClose(),
        error: () => onClose(),
      },
    })
    return {
      write: (bytes) => {
        queued.push(bytes)
        if (queued.length === 1)
          flush(socket)
      },
      end: () => {
        queued = []
        socket.end()
      },
    }
  }
  const { createConnection } = await import('node:net')
  return new Promise((resolve, reject) => {
    const socket = createConnection(path)
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.off('error', reject)
      socket.on('error', () => onClose())
      socket.on('close', () => onClose())
      socket.on('data', onData)
      resolve({ write: bytes => void socket.write(bytes), end: () => void socket.end() })
    })
  })
}
