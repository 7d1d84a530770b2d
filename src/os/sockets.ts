// Which process holds a TCP socket, from Linux's tables (/proc/<pid>/net/tcp, /proc/<pid>/fd):
// how a health check knows that the answer it got came from the worker it judges.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { allPids, cmdlineOf, descendantsOf } from './processes.ts'

/** One line of /proc/net/tcp or tcp6: the ports, the state and the socket's inode (0 while no process holds it). */
export interface TcpEntry {
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
    return [{ localPort: portOf(local), remotePort: portOf(remote), state, inode: Number(inode) }]
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

/**
 * Who answered on `port` (a connection from `clientPort`, still open): `pid` or one of its
 * descendants, one of `siblings` (or theirs), or another process. Reads the tables of `pid`'s own
 * network namespace; the whole process table only when the answer is neither's.
 */
export function whoAnswered(pid: number, port: number, clientPort: number | undefined, siblings: number[] = []): Answerer {
  const entries = [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`].flatMap(path => parseTcpTable(readOr(path)))
  const { inodes } = answeringSockets(entries, port, clientPort)
  if (inodes.length === 0)
    return { kind: 'unknown' }
  const wanted = new Set(inodes.map(inode => `socket:[${inode}]`))
  const tree = [pid, ...descendantsOf([pid])]
  if (tree.some(p => holdsAny(p, wanted)))
    return { kind: 'ours' }
  const sibling = siblings.length === 0 ? undefined : [...siblings, ...descendantsOf(siblings)].find(p => holdsAny(p, wanted))
  if (sibling !== undefined) {
    const listeners = new Set(answeringSockets(entries, port, undefined).inodes.map(inode => `socket:[${inode}]`))
    return { kind: 'sibling', pid: sibling, listening: tree.some(p => holdsAny(p, listeners)) }
  }
  const holder = allPids().find(p => p !== process.pid && holdsAny(p, wanted))
  return { kind: 'other', pid: holder ?? null, command: holder === undefined ? '' : commandName(holder) }
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
