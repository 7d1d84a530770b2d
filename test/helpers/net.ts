// Ports and polling for tests and benchmarks alike.
import { readFileSync } from 'node:fs'

/** A port the OS just had free (it picks outside nothing, but a collision is then a real one). */
export function freePort(): number {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const { port } = server
  server.stop(true)
  return port
}

/**
 * `count` consecutive ports, free now (for `increment_var` replicas), below 32768: the ports after
 * an OS-picked one are in the kernel's ephemeral range, where an outgoing connection (a health
 * probe's, say) can take one before its replica listens.
 */
export function freePorts(count: number): number {
  const taken = (port: number) => {
    try {
      Bun.listen({ hostname: '0.0.0.0', port, socket: { data() {} } }).stop(true)
      return false
    }
    catch {
      return true
    }
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (32000 - 20000 - count))
    if (!Array.from({ length: count }, (_, i) => base + i).some(taken))
      return base
  }
  throw new Error(`no ${count} consecutive free ports found below 32768`)
}

/** Sockets listening on `port` (IPv4 and IPv6), from the kernel's tables: no `ss` needed. */
export function listenersOn(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  let count = 0
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    }
    catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      if (local?.endsWith(`:${hex}`) && state === '0A')
        count++
    }
  }
  return count
}

/** Polls `read` until `done` holds, up to `timeoutMs`; returns the value that made it hold, or throws with the last one. */
export async function waitUntil<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let value = await read()
  while (!done(value)) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms; last: ${JSON.stringify(value)}`)
    await Bun.sleep(everyMs)
    value = await read()
  }
  return value
}
