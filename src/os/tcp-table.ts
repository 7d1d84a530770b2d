// The kernel's TCP tables (/proc/net/tcp, tcp6) read and matched: entries, addresses, the socket
// that answered a connection. Pure.

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

/** The kernel's state codes in the tables. */
export const LISTEN = '0A'
export const ESTABLISHED = '01'

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
export function mapped(hex: string): string {
  return `0000000000000000FFFF0000${hex}`
}
