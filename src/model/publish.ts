// `options.publish` and the loopback addresses that do not carry into containers. Pure.

/** Where a worker's port is published on the host: an address (none: every interface) and a port. */
export interface Published {
  /** An IP address of the host (`127.0.0.1`, `0.0.0.0`, `::1`); absent: every interface, as Docker reads `8080:3000`. */
  address?: string
  port: number
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const IPV6 = /^[\da-f:.]+$/i

/**
 * `options.publish` as written: `false`, a port, `'[address:]port'` (`'[::1]:3000'` for IPv6), or
 * a list of those. The parsed list, or a sentence saying what is wrong with it.
 */
export function parsePublish(value: unknown): Published[] | false | { error: string } {
  if (value === false)
    return false
  const entries = Array.isArray(value) ? value : [value]
  if (entries.length === 0)
    return { error: 'is an empty list; write false to publish nothing' }
  const parsed: Published[] = []
  for (const entry of entries) {
    const one = parseEntry(entry)
    if ('error' in one)
      return one
    parsed.push(one)
  }
  return parsed
}

function parseEntry(entry: unknown): Published | { error: string } {
  const bad = { error: `${JSON.stringify(entry) ?? String(entry)} is not a port or '[address:]port'` }
  if (typeof entry === 'number')
    return isPort(entry) ? { port: entry } : bad
  if (typeof entry !== 'string')
    return bad
  const match = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?(\d+)$/.exec(entry.trim())
  const port = Number(match?.[3])
  const address = match?.[1] ?? match?.[2]
  if (!match || !isPort(port))
    return bad
  if (address === undefined)
    return { port }
  const v4 = IPV4.exec(address)
  const valid = v4 ? v4.slice(1).every(part => Number(part) <= 255) : match[1] !== undefined && IPV6.test(address) && address.includes(':')
  return valid ? { address, port } : { error: `${JSON.stringify(entry)}: ${address} is not an IP address (Docker binds addresses, not names)` }
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < 65536
}

/** A published port as the config writes it: `127.0.0.1:8080`, `[::1]:8080`, `8080`. */
export function publishLabel({ address, port }: Published): string {
  return address === undefined ? String(port) : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`
}

/** A published port as Compose's short syntax writes it: `127.0.0.1:8080:3000`, `[::1]:8080:3000`, `8080:3000`. */
export function composePort(published: Published, target: number): string {
  return `${publishLabel(published)}:${target}`
}

/** True for a loopback host: `localhost`, 127.x.x.x, `::1` (bracketed or not). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || bare === '::1' || bare === '0:0:0:0:0:0:0:1' || bare === '::ffff:127.0.0.1'
}

/**
 * The loopback address a value names, and how: `connects` for a URL or a `host:port`
 * (`redis://127.0.0.1:6379`, `localhost:5432`: a client reaches it), `binds` for a bare host
 * (`127.0.0.1`: an address to listen on). Undefined when it names none.
 */
export function loopbackIn(value: string): { how: 'connects', host: string, port?: number } | { how: 'binds', host: string } | undefined {
  const text = value.trim()
  if (isLoopback(text))
    return { how: 'binds', host: text }
  if (/^[a-z][\w+.-]*:\/\//i.test(text)) {
    try {
      const url = new URL(text)
      return isLoopback(url.hostname) ? { how: 'connects', host: url.hostname.replace(/^\[|\]$/g, ''), ...(url.port ? { port: Number(url.port) } : {}) } : undefined
    }
    catch {
      return undefined
    }
  }
  const hostPort = /^(\[[^\]]+\]|[^:\s/]+):(\d+)$/.exec(text)
  if (hostPort && isLoopback(hostPort[1]!))
    return { how: 'connects', host: hostPort[1]!.replace(/^\[|\]$/g, ''), port: Number(hostPort[2]) }
  return undefined
}
