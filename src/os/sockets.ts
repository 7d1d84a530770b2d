// Which process holds a TCP socket: the kernel names the socket (netlink's sock_diag, else the
// /proc/<pid>/net/tcp table), the fds in /proc/<pid>/fd name its holder. How a health check knows
// that the answer it got came from the worker it judges, and a deploy which ports a worker holds.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { WorkspaceError } from '../errors.ts'
import os from 'node:os'
import { allPids, cmdlineOf, descendantsOf } from './processes.ts'
import { findSocket, listeningSockets, type Tuple } from './sock-diag.ts'

/** One line of /proc/net/tcp or tcp6: the ports, the state and the socket's inode (0 while no process holds it). */
export interface TcpEntry {
  /** The local address as the table prints it (hex words in host order), and its family. */
  localAddress: string
  family: 4 | 6
  localPort: number
  remotePort: number
  /** The kernel's state code: `0A` listening, `01` established. */
  state: string
  inode: number
}

const LISTEN = '0A'
const ESTABLISHED = '01'

/** The entries of a /proc/net/tcp(6) table. Pure. */
export function parseTcpTable(text: string): TcpEntry[] {
  return text.split('\n').slice(1).flatMap((line) => {
    const fields = line.trim().split(/\s+/)
    const [local, remote, state, inode] = [fields[1], fields[2], fields[3], fields[9]]
    if (!local || !remote || !state || inode === undefined)
      return []
    const address = local.slice(0, local.lastIndexOf(':'))
    return [{ localAddress: address, family: address.length > 8 ? 6 : 4, localPort: portOf(local), remotePort: portOf(remote), state, inode: Number(inode) } satisfies TcpEntry]
  })
}

function portOf(address: string): number {
  return Number.parseInt(address.slice(address.lastIndexOf(':') + 1), 16)
}

/**
 * Who answered a connection to `port` made from `clientPort`, from the tables: the inode of the
 * server's end of that very connection when a process holds it (precise, even when several
 * processes share the port with SO_REUSEPORT); else the inodes listening on the port; else none
 * (the server is on another host or network namespace). Pure.
 */
export function answeringSockets(entries: TcpEntry[], port: number, clientPort: number | undefined): { inodes: number[], exact: boolean } {
  const accepted = clientPort === undefined ? undefined : entries.find(e => e.state === ESTABLISHED && e.localPort === port && e.remotePort === clientPort && e.inode > 0)
  if (accepted)
    return { inodes: [accepted.inode], exact: true }
  return { inodes: entries.filter(e => e.state === LISTEN && e.localPort === port && e.inode > 0).map(e => e.inode), exact: false }
}

/** What the tables say of an answer: the judged process tree gave it, a sibling's (another process of the same worker), another process's, or nothing can tell. */
export type Answerer =
  | { kind: 'ours' }
  /** `listening`: whether the judged tree holds a listening socket on the port itself. */
  | { kind: 'sibling', pid: number, listening: boolean }
  | { kind: 'other', pid: number | null, command: string }
  | { kind: 'unknown' }

/** Our end of a probe's connection, still open: its addresses and ports as the socket says them. */
export interface ProbeEnds {
  localAddress: string
  localPort: number
  remoteAddress: string
  remotePort: number
}

/**
 * Who answered on `port` (the probe's connection `ends`, still open): `pid` or one of its
 * descendants, one of `siblings` (or theirs), or another process. The kernel is asked for the
 * server's end of that very connection (precise, even when several processes share the port with
 * SO_REUSEPORT); when it has none yet, whoever listens on the port. The whole process table is
 * read only when the answer is neither's.
 */
export function whoAnswered(pid: number, port: number, ends: ProbeEnds | undefined, siblings: number[] = []): Answerer {
  const { inodes, listeners } = answering(pid, port, ends)
  if (inodes.length === 0)
    return { kind: 'unknown' }
  const wanted = new Set(inodes.map(inode => `socket:[${inode}]`))
  // The process itself first: most servers listen in it, and its descendants cost a look at the whole process table.
  if (holdsAny(pid, wanted))
    return { kind: 'ours' }
  const tree = [pid, ...descendantsOf([pid])]
  if (tree.some(p => holdsAny(p, wanted)))
    return { kind: 'ours' }
  const sibling = siblings.length === 0 ? undefined : (siblings.find(p => holdsAny(p, wanted)) ?? descendantsOf(siblings).find(p => holdsAny(p, wanted)))
  if (sibling !== undefined) {
    const listening = new Set(listeners().map(inode => `socket:[${inode}]`))
    return { kind: 'sibling', pid: sibling, listening: tree.some(p => holdsAny(p, listening)) }
  }
  const holder = allPids().find(p => p !== process.pid && holdsAny(p, wanted))
  return { kind: 'other', pid: holder ?? null, command: holder === undefined ? '' : commandName(holder) }
}

/**
 * The inodes that answered, and a way to get the port's listeners: the server's end of the very
 * connection when the kernel has it (netlink), else whoever listens on the port; from `pid`'s
 * table where netlink cannot be asked.
 */
function answering(pid: number, port: number, ends: ProbeEnds | undefined): { inodes: number[], listeners: () => number[] } {
  const accepted = ends ? serverEnd(ends) : undefined
  if (accepted !== null) {
    const listeners = () => (listeningSockets() ?? []).filter(l => l.localPort === port && l.inode > 0).map(l => l.inode)
    return { inodes: accepted !== undefined ? [accepted] : listeners(), listeners }
  }
  const entries = [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`].flatMap(path => parseTcpTable(readOr(path)))
  return { inodes: answeringSockets(entries, port, ends?.localPort).inodes, listeners: () => answeringSockets(entries, port, undefined).inodes }
}

/**
 * The inode of the server's end of the connection `ends` (IPv4, or IPv4 mapped into IPv6 for a
 * dual-stack listener) if a process holds it; undefined when the kernel has none; null when
 * netlink cannot be asked.
 */
function serverEnd(ends: ProbeEnds): number | undefined | null {
  const server = hexAddress(ends.remoteAddress)
  const client = hexAddress(ends.localAddress)
  if (!server || !client)
    return undefined
  const candidates: Tuple[] = [{ family: server.family, localAddress: server.hex, localPort: ends.remotePort, remoteAddress: client.hex, remotePort: ends.localPort }]
  if (server.family === 4 && client.family === 4)
    candidates.push({ family: 6, localAddress: mapped(server.hex), localPort: ends.remotePort, remoteAddress: mapped(client.hex), remotePort: ends.localPort })
  for (const tuple of candidates) {
    const found = findSocket(tuple)
    if (found === undefined)
      return null
    if (found && found.state === ESTABLISHED && found.remotePort === ends.localPort && found.inode > 0)
      return found.inode
  }
  return undefined
}

/** An IP address as the kernel's tables print it: 32-bit words in host (little-endian) order. */
export function hexAddress(ip: string): { family: 4 | 6, hex: string } | undefined {
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(ip)
  if (v4) {
    const bytes = v4.slice(1, 5).map(Number)
    return { family: 4, hex: word(bytes) }
  }
  if (!ip.includes(':'))
    return undefined
  const [head = '', tail = ''] = ip.split('::')
  const parts = (text: string) => text ? text.split(':') : []
  const groups = [...parts(head), ...Array.from({ length: 8 - parts(head).length - parts(tail).length }, () => '0'), ...parts(tail)]
  if (groups.length !== 8)
    return undefined
  const bytes = groups.flatMap(g => [Number.parseInt(g, 16) >> 8, Number.parseInt(g, 16) & 0xFF])
  return { family: 6, hex: [0, 4, 8, 12].map(i => word(bytes.slice(i, i + 4))).join('') }
}

/** Four address bytes (network order) as the table prints them: a little-endian 32-bit word in hex. */
function word(bytes: number[]): string {
  return (((bytes[3]! << 24) >>> 0) + (bytes[2]! << 16) + (bytes[1]! << 8) + bytes[0]!).toString(16).toUpperCase().padStart(8, '0')
}

/** An IPv4 address (table form) as IPv6 maps it (::ffff:a.b.c.d). */
function mapped(hex: string): string {
  return `0000000000000000FFFF0000${hex}`
}

function holdsAny(pid: number, links: Set<string>): boolean {
  let fds: string[]
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  }
  catch {
    return false
  }
  return fds.some((fd) => {
    try {
      return links.has(readlinkSync(`/proc/${pid}/fd/${fd}`))
    }
    catch {
      return false
    }
  })
}

/** The program a process runs, short: `redis-server`, `bun workers/api.ts`. */
function commandName(pid: number): string {
  const words = cmdlineOf(pid).split(' ').filter(Boolean)
  return words.slice(0, 2).map(word => word.slice(word.lastIndexOf('/') + 1)).join(' ')
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  }
  catch {
    return ''
  }
}

/** A port a process tree listens on, with the address it listens at (as the table prints it). */
export interface Listener {
  port: number
  address: string
  family: 4 | 6
}

/** The TCP ports `pid` and its descendants listen on (what a new version beside it would need too). */
export function listenersOf(pid: number): Listener[] {
  const entries = listeningSockets() ?? [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`].flatMap(path => parseTcpTable(readOr(path))).filter(e => e.state === LISTEN)
  const tree = [pid, ...descendantsOf([pid])]
  const held = new Set(tree.flatMap(socketInodesOf))
  const seen = new Set<string>()
  return entries.filter(e => e.inode > 0 && held.has(e.inode)).flatMap((e) => {
    const key = `${e.family}/${e.localAddress}/${e.localPort}`
    if (seen.has(key))
      return []
    seen.add(key)
    return [{ port: e.localPort, address: e.localAddress, family: e.family }]
  })
}

function socketInodesOf(pid: number): number[] {
  let fds: string[]
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  }
  catch {
    return []
  }
  return fds.flatMap((fd) => {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      return match ? [Number(match[1])] : []
    }
    catch {
      return []
    }
  })
}

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
