// Which process holds a TCP socket: on Linux the kernel names the socket (netlink's sock_diag,
// else the /proc/<pid>/net/tcp table) and the fds in /proc/<pid>/fd name its holder; with the
// portable backend (macOS) lsof says both (os/lsof-sockets.ts). How a health check knows that the
// answer it got came from the worker it judges, and a deploy which ports a worker holds.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { osBackend } from './backend.ts'
import { lsofListenersOf, lsofWhoAnswered } from './lsof-sockets.ts'
import { allPids, descendantsOf, shortCommandOf } from './processes.ts'
import type { Answerer, Listener, ProbeEnds } from './socket-types.ts'
import { answeringSockets, ESTABLISHED, hexAddress, LISTEN, mapped, parseTcpTable } from './tcp-table.ts'
import { findSocket, listeningSockets, type Tuple } from './sock-diag.ts'

export type { Answerer, Listener, ProbeEnds } from './socket-types.ts'

/**
 * Who answered on `port` (the probe's connection `ends`, still open): `pid` or one of its
 * descendants, one of `siblings` (or theirs), or another process. The kernel is asked for the
 * server's end of that very connection (precise, even when several processes share the port with
 * SO_REUSEPORT); when it has none yet, whoever listens on the port. The whole process table is
 * read only when the answer is neither's.
 */
export function whoAnswered(pid: number, port: number, ends: ProbeEnds | undefined, siblings: number[] = []): Answerer {
  return osBackend() === 'portable' ? lsofWhoAnswered(pid, port, ends, siblings) : procWhoAnswered(pid, port, ends, siblings)
}

function procWhoAnswered(pid: number, port: number, ends: ProbeEnds | undefined, siblings: number[]): Answerer {
  const { inodes, listeners, closed } = answering(pid, port, ends)
  if (closed && siblings.length > 0)
    return { kind: 'closed' }
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
  return { kind: 'other', pid: holder ?? null, command: holder === undefined ? '' : shortCommandOf(holder) }
}

/**
 * The inodes that answered, and a way to get the port's listeners: the server's end of the very
 * connection when the kernel has it (netlink), else whoever listens on the port; from `pid`'s
 * table where netlink cannot be asked. `closed`: the server's end is closing, held by nobody.
 */
function answering(pid: number, port: number, ends: ProbeEnds | undefined): { inodes: number[], listeners: () => number[], closed?: boolean } {
  const accepted = ends ? serverEnd(ends) : undefined
  if (accepted !== null) {
    const listeners = () => (listeningSockets() ?? []).filter(l => l.localPort === port && l.inode > 0).map(l => l.inode)
    if (accepted === 'closed')
      return { inodes: listeners(), listeners, closed: true }
    return { inodes: accepted !== undefined ? [accepted] : listeners(), listeners }
  }
  const entries = [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`].flatMap(path => parseTcpTable(readOr(path)))
  return { inodes: answeringSockets(entries, port, ends?.localPort).inodes, listeners: () => answeringSockets(entries, port, undefined).inodes }
}

/**
 * The inode of the server's end of the connection `ends` (IPv4, or IPv4 mapped into IPv6 for a
 * dual-stack listener) if a process holds it; `closed` when the server has closed it (FIN_WAIT,
 * TIME_WAIT: no process holds it); undefined when the kernel has none (or not accepted yet);
 * null when netlink cannot be asked.
 */
function serverEnd(ends: ProbeEnds): number | 'closed' | undefined | null {
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
    if (found && found.state !== ESTABLISHED && found.remotePort === ends.localPort)
      return 'closed'
  }
  return undefined
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

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  }
  catch {
    return ''
  }
}

/** The TCP ports `pid` and its descendants listen on (what a new version beside it would need too). */
export function listenersOf(pid: number): Listener[] {
  return osBackend() === 'portable' ? lsofListenersOf(pid) : procListenersOf(pid)
}

function procListenersOf(pid: number): Listener[] {
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
