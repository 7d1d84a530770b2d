// Which process holds a TCP socket, as lsof says it: the portable backend's half of os/sockets.ts
// (macOS; Linux with BUN_PM_OS=portable). Coarser than /proc: lsof names the processes holding
// the server's end of a connection or listening on a port, and nothing of a socket no process
// holds any more (one the server closed as it answered). Where lsof is missing, nothing can tell.

import { spawnSync } from 'node:child_process'
import { descendantsOf, shortCommandOf } from './processes.ts'
import { type LsofSocket, parseLsof } from './ps-output.ts'
import type { Answerer, Listener, ProbeEnds } from './socket-types.ts'
import { hexAddress } from './tcp-table.ts'

/** lsof's field output for `selection` (TCP sockets only); '' when it found none, undefined when lsof cannot run. macOS keeps it in /usr/sbin. */
function lsof(selection: string[]): string | undefined {
  const result = spawnSync('lsof', ['-nP', '-w', '-Ts', '-F', 'pcftTn', ...selection], {
    encoding: 'utf8',
    env: { PATH: `${process.env.PATH || '/usr/bin:/bin'}:/usr/sbin:/sbin`, LC_ALL: 'C' },
    maxBuffer: 64 * 1024 * 1024,
  })
  if (result.error || typeof result.stdout !== 'string')
    return undefined
  return result.stdout
}

/**
 * The pids that answered a connection to `port` from `clientPort`: those holding the server's end
 * of that very connection when lsof sees it, else those listening on the port. Pure.
 */
export function answeringPids(sockets: LsofSocket[], port: number, clientPort: number | undefined): { pids: number[], exact: boolean } {
  const accepted = clientPort === undefined ? [] : sockets.filter(s => s.localPort === port && s.remotePort === clientPort && s.state === 'ESTABLISHED')
  if (accepted.length > 0)
    return { pids: [...new Set(accepted.map(s => s.pid))], exact: true }
  return { pids: [...new Set(sockets.filter(s => s.state === 'LISTEN' && s.localPort === port).map(s => s.pid))], exact: false }
}

/** See whoAnswered (os/sockets.ts); `closed` is never said: lsof does not show a socket nobody holds. */
export function lsofWhoAnswered(pid: number, port: number, ends: ProbeEnds | undefined, siblings: number[]): Answerer {
  const output = lsof([`-iTCP:${port}`])
  if (output === undefined)
    return { kind: 'unknown' }
  const sockets = parseLsof(output)
  const { pids } = answeringPids(sockets, port, ends?.localPort)
  if (pids.length === 0)
    return { kind: 'unknown' }
  if (pids.includes(pid))
    return { kind: 'ours' }
  const tree = [pid, ...descendantsOf([pid])]
  if (pids.some(p => tree.includes(p)))
    return { kind: 'ours' }
  if (siblings.length > 0) {
    const theirs = [...siblings, ...descendantsOf(siblings)]
    const sibling = pids.find(p => theirs.includes(p))
    if (sibling !== undefined)
      return { kind: 'sibling', pid: sibling, listening: sockets.some(s => s.state === 'LISTEN' && s.localPort === port && tree.includes(s.pid)) }
  }
  const holder = pids.find(p => p !== process.pid)
  return { kind: 'other', pid: holder ?? null, command: holder === undefined ? '' : shortCommandOf(holder) }
}

/** See listenersOf (os/sockets.ts): the addresses in the tables' form, so that os/reuse-port.ts can bind beside them. */
export function lsofListenersOf(pid: number): Listener[] {
  const tree = [pid, ...descendantsOf([pid])]
  const output = lsof(['-a', '-p', tree.join(','), '-iTCP', '-sTCP:LISTEN'])
  return listenersIn(parseLsof(output ?? ''), tree)
}

/** The listening sockets of `pids`, one per family, address and port, as the tables print them. Pure. */
export function listenersIn(sockets: LsofSocket[], pids: number[]): Listener[] {
  const seen = new Set<string>()
  return sockets.filter(s => s.state === 'LISTEN' && pids.includes(s.pid)).flatMap((s) => {
    const address = s.localAddress === '*' ? (s.family === 6 ? '0'.repeat(32) : '0'.repeat(8)) : hexAddress(s.localAddress)?.hex
    if (address === undefined)
      return []
    const key = `${s.family}/${address}/${s.localPort}`
    if (seen.has(key))
      return []
    seen.add(key)
    return [{ port: s.localPort, address, family: s.family }]
  })
}
