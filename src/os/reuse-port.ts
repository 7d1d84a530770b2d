// Whether a new version could listen beside the old one: a bind with SO_REUSEPORT, tried through
// libc (bun:ffi) and closed at once, never listening.

import os from 'node:os'
import { WorkspaceError } from '../errors.ts'
import type { Listener } from './sockets.ts'

/**
 * Whether a second process could listen where `listener` listens now: a socket with SO_REUSEPORT
 * binds to the same address and port only when the one there has it too (Bun.serve's
 * `reusePort`, Node's `reusePort`) and belongs to the same user. The probe binds and closes, and
 * never listens: no connection is ever routed to it. Undefined where it cannot be tried.
 */
export function canListenBeside(listener: Listener): boolean | undefined {
  const libc = socketCalls()
  if (!libc)
    return undefined
  const AF_INET = 2
  const AF_INET6 = 10
  const SOCK_STREAM = 1
  const SOL_SOCKET = 1
  const SO_REUSEPORT = 15
  const { symbols } = libc.lib
  const fd = symbols.socket(listener.family === 6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0)
  if (fd < 0)
    return undefined
  try {
    const one = new Int32Array([1])
    if (symbols.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, libc.ptr(one), 4) !== 0)
      return undefined
    const address = sockaddr(listener)
    return symbols.bind(fd, libc.ptr(address), address.byteLength) === 0
  }
  finally {
    symbols.close(fd)
  }
}

let calls: ReturnType<typeof openSocketCalls> | null | undefined

/** libc's socket calls through bun:ffi, opened once (each dlopen compiles its trampolines). */
function socketCalls() {
  if (calls === undefined)
    calls = process.platform === 'linux' && process.versions.bun ? openSocketCalls() : null
  return calls ?? undefined
}

function openSocketCalls() {
  try {
    // eslint-disable-next-line ts/no-require-imports
    const { dlopen, FFIType, ptr } = require('bun:ffi') as typeof import('bun:ffi')
    return { ptr, lib: dlopen('libc.so.6', {
      socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
      bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
      close: { args: [FFIType.i32], returns: FFIType.i32 },
    }) }
  }
  catch {
    return null
  }
}

/** A sockaddr_in / sockaddr_in6 for the table's address: each hex word is a 32-bit value in host (little-endian) order. */
function sockaddr({ family, address, port }: Listener): Uint8Array {
  const words = address.match(/.{8}/g) ?? []
  if (os.endianness() !== 'LE')
    throw new WorkspaceError('bun-pm reads /proc/net/tcp as little-endian; this machine is not')
  const buffer = new Uint8Array(family === 6 ? 28 : 16)
  const view = new DataView(buffer.buffer)
  view.setUint16(0, family === 6 ? 10 : 2, true)
  view.setUint16(2, port, false)
  words.forEach((word, i) => view.setUint32((family === 6 ? 8 : 4) + i * 4, Number.parseInt(word, 16), true))
  return buffer
}
