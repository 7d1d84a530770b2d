// Linux's socket diagnostics over netlink (NETLINK_SOCK_DIAG, what `ss` uses): one TCP socket
// looked up by its addresses and ports, or every listening one, without reading /proc/net/tcp —
// a table of every connection on the machine, megabytes of it on a busy server, read in full.
// Undefined wherever netlink cannot be asked (not Linux, not bun): callers fall back to the table.

/** A TCP socket as the kernel describes it: its family, local and remote address (the table's hex words) and ports, state and inode. */
export interface DiagSocket {
  family: 4 | 6
  localAddress: string
  localPort: number
  remoteAddress: string
  remotePort: number
  /** The kernel's state code, as in /proc/net/tcp: `0A` listening, `01` established. */
  state: string
  inode: number
}

const AF_INET = 2
const AF_INET6 = 10
const AF_NETLINK = 16
const SOCK_RAW = 3
const SOCK_CLOEXEC = 0o2000000
const NETLINK_SOCK_DIAG = 4
const SOCK_DIAG_BY_FAMILY = 20
const NLM_F_REQUEST = 1
const NLM_F_DUMP = 0x300
const NLMSG_ERROR = 2
const NLMSG_DONE = 3
const IPPROTO_TCP = 6
const MSG_DONTWAIT = 0x40
const TCPF_ALL = 0xFFF
const TCPF_LISTEN = 1 << 10
const NOCOOKIE = 0xFFFFFFFF

type Libc = NonNullable<ReturnType<typeof openLibc>>
let libc: Libc | null | undefined

function calls(): Libc | undefined {
  if (libc === undefined)
    libc = process.platform === 'linux' && process.versions.bun ? openLibc() : null
  return libc ?? undefined
}

function openLibc() {
  try {
    // eslint-disable-next-line ts/no-require-imports
    const { dlopen, FFIType, ptr } = require('bun:ffi') as typeof import('bun:ffi')
    const { symbols } = dlopen('libc.so.6', {
      socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
      recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
      close: { args: [FFIType.i32], returns: FFIType.i32 },
    })
    return { symbols, ptr }
  }
  catch {
    return null
  }
}

/** The 4-tuple of a TCP connection, from one side: the local address and port, and the peer's. */
export interface Tuple {
  family: 4 | 6
  /** Addresses as the table prints them: hex words in host (little-endian) order. */
  localAddress: string
  localPort: number
  remoteAddress: string
  remotePort: number
}

/** The socket with exactly these ends (an established one), if the kernel has it. */
export function findSocket(tuple: Tuple): DiagSocket | undefined | null {
  const found = ask(tuple.family, 0, tuple, false)
  return found === undefined ? undefined : found[0] ?? null
}

/** Every listening TCP socket of this network namespace (both families). */
export function listeningSockets(): DiagSocket[] | undefined {
  const v4 = ask(4, TCPF_LISTEN, undefined, true)
  const v6 = ask(6, TCPF_LISTEN, undefined, true)
  return v4 === undefined || v6 === undefined ? undefined : [...v4, ...v6]
}

/** One SOCK_DIAG_BY_FAMILY request: a dump of the states in `states`, or the one socket `tuple` names. Undefined: netlink could not be asked. */
function ask(family: 4 | 6, states: number, tuple: Tuple | undefined, dump: boolean): DiagSocket[] | undefined {
  const c = calls()
  if (!c)
    return undefined
  const fd = c.symbols.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)
  if (fd < 0)
    return undefined
  try {
    const request = new Uint8Array(16 + 56)
    const view = new DataView(request.buffer)
    view.setUint32(0, request.byteLength, true)
    view.setUint16(4, SOCK_DIAG_BY_FAMILY, true)
    view.setUint16(6, NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0), true)
    view.setUint32(8, 1, true)
    request[16] = family === 6 ? AF_INET6 : AF_INET
    request[17] = IPPROTO_TCP
    view.setUint32(20, dump ? states : TCPF_ALL, true)
    if (tuple) {
      view.setUint16(24, tuple.localPort, false)
      view.setUint16(26, tuple.remotePort, false)
      writeAddress(view, 28, tuple.localAddress)
      writeAddress(view, 44, tuple.remoteAddress)
    }
    view.setUint32(60, 0, true)
    view.setUint32(64, NOCOOKIE, true)
    view.setUint32(68, NOCOOKIE, true)
    const address = new Uint8Array(12)
    new DataView(address.buffer).setUint16(0, AF_NETLINK, true)
    if (Number(c.symbols.sendto(fd, c.ptr(request), request.byteLength, 0, c.ptr(address), address.byteLength)) < 0)
      return undefined
    const found: DiagSocket[] = []
    const buffer = new Uint8Array(32 * 1024)
    for (let round = 0; round < 10_000; round++) {
      // The kernel answers while it takes the request: what is not there at once is not coming.
      const length = Number(c.symbols.recv(fd, c.ptr(buffer), buffer.byteLength, round === 0 ? 0 : MSG_DONTWAIT))
      if (length <= 0)
        return round === 0 ? undefined : found
      const data = new DataView(buffer.buffer, 0, length)
      for (let at = 0; at + 16 <= length;) {
        const size = data.getUint32(at, true)
        const type = data.getUint16(at + 4, true)
        if (size < 16)
          return found
        if (type === NLMSG_DONE)
          return found
        // Not found (an exact lookup), or the request was refused: the answer so far.
        if (type === NLMSG_ERROR)
          return data.getInt32(at + 16, true) === 0 ? found : found.length > 0 ? found : []
        if (type === SOCK_DIAG_BY_FAMILY && size >= 16 + 72)
          found.push(readSocket(data, at + 16))
        at += (size + 3) & ~3
      }
      if (!dump)
        return found
    }
    return found
  }
  finally {
    c.symbols.close(fd)
  }
}

/** An inet_diag_msg: family, state, then the socket id (ports big-endian, addresses in network order), then uid and inode. */
function readSocket(data: DataView, at: number): DiagSocket {
  const family = data.getUint8(at) === AF_INET6 ? 6 : 4
  const state = data.getUint8(at + 1).toString(16).toUpperCase().padStart(2, '0')
  return {
    family,
    state,
    localPort: data.getUint16(at + 4, false),
    remotePort: data.getUint16(at + 6, false),
    localAddress: readAddress(data, at + 8, family),
    remoteAddress: readAddress(data, at + 24, family),
    inode: data.getUint32(at + 68, true),
  }
}

/** Addresses travel in network order; the table's hex words are each 32 bits in host order (little-endian here). */
function readAddress(data: DataView, at: number, family: 4 | 6): string {
  const words = family === 6 ? 4 : 1
  return Array.from({ length: words }, (_, i) => data.getUint32(at + i * 4, true).toString(16).toUpperCase().padStart(8, '0')).join('')
}

function writeAddress(view: DataView, at: number, hex: string): void {
  const words = hex.match(/.{8}/g) ?? []
  words.forEach((word, i) => view.setUint32(at + i * 4, Number.parseInt(word, 16), true))
}
