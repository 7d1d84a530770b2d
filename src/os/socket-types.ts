// What bun-pm asks of sockets, whichever backend answers (os/sockets.ts: /proc; os/lsof-sockets.ts: lsof).

/**
 * What the tables say of an answer: the judged process tree gave it, a sibling's (another process
 * of the same worker), another process's, or nothing can tell. `closed`: the server closed its end
 * as it answered (`Connection: close`, a server draining), so nobody holds it any more, and the
 * port is shared with siblings: any of them may have answered.
 */
export type Answerer =
  | { kind: 'ours' }
  | { kind: 'closed' }
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

/** A port a process tree listens on, with the address it listens at (as the table prints it). */
export interface Listener {
  port: number
  address: string
  family: 4 | 6
}
