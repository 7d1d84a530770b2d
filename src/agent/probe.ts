// One check of an http(s) or tcp heartbeat, over a connection of its own: its local port says,
// while it is still open, which process answered (src/os/sockets.ts).
import { connect as connectTcp, type Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import type { ProbeEnds } from '../os/sockets.ts'
import { describeHeartbeat, formatMs } from '../model/heartbeat.ts'
import type { Heartbeat } from '../types/health.ts'

export interface ProbeResult<T = undefined> {
  ok: boolean
  /** What was seen, for messages: `GET /health -> 200`, `tcp 127.0.0.1:5432: connection refused`. */
  detail: string
  /** What `whileOpen` said of the connection, when something answered on it. */
  answer?: T
  /** The HTTP status of the answer, for an http check that got one. */
  status?: number
}

/**
 * One check of an http(s) or tcp heartbeat, bounded by `timeoutMs`. Never throws. `whileOpen`
 * runs once something answered (the status line of an HTTP response, a TCP connection), with the
 * connection's two ends, before the connection is closed: a keep-alive HTTP connection stays
 * open on the server's side too, so the server's end of it can still be found.
 */
export function probe<T = undefined>(heartbeat: Heartbeat & { kind: 'http' | 'tcp' }, timeoutMs: number, whileOpen?: (ends: ProbeEnds | undefined) => T): Promise<ProbeResult<T>> {
  const what = describeHeartbeat(heartbeat)
  const target = heartbeat.kind === 'tcp' ? { host: heartbeat.host, port: heartbeat.port, tls: false } : urlTarget(heartbeat.url)
  return new Promise((resolve) => {
    let settled = false
    const socket: Socket = target.tls
      ? connectTls({ host: target.host, port: target.port, servername: isIp(target.host) ? undefined : target.host, ALPNProtocols: ['http/1.1'] })
      : connectTcp({ host: target.host, port: target.port })
    const done = (result: ProbeResult<T>) => {
      if (settled)
        return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const answered = (ok: boolean, detail: string, status?: number) => {
      let answer: T | undefined
      try {
        const { localAddress, localPort, remoteAddress, remotePort } = socket
        answer = whileOpen?.(localAddress && localPort && remoteAddress && remotePort ? { localAddress, localPort, remoteAddress, remotePort } : undefined)
      }
      catch {}
      done({ ok, detail, answer, ...(status !== undefined && { status }) })
    }
    const timer = setTimeout(() => done({ ok: false, detail: `${what}: no answer within ${formatMs(timeoutMs)}` }), timeoutMs)
    socket.once('error', error => done({ ok: false, detail: `${what}: ${describeError(error)}` }))
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      if (heartbeat.kind === 'tcp')
        return answered(true, `${what}: connected`)
      const url = new URL(heartbeat.url)
      socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: bun-pm-heartbeat\r\nAccept: */*\r\n\r\n`)
    })
    if (heartbeat.kind === 'http') {
      let head = ''
      socket.on('data', (chunk: Buffer) => {
        head += chunk.toString('latin1')
        const end = head.indexOf('\r\n')
        if (end === -1 && head.length < 8192)
          return
        const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head.slice(0, end === -1 ? undefined : end))
        if (!status)
          return done({ ok: false, detail: `${what}: answered with something that is not HTTP` })
        const code = Number(status[1])
        answered(code >= 200 && code < 300, `${what} -> ${code}`, code)
      })
      socket.once('end', () => done({ ok: false, detail: `${what}: connection closed without an answer` }))
    }
  })
}

function urlTarget(href: string): { host: string, port: number, tls: boolean } {
  const url = new URL(href)
  const tls = url.protocol === 'https:'
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || (tls ? 443 : 80), tls }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':')
}

function describeError(error: unknown): string {
  const { code, message } = error as { code?: string, message?: string }
  if (code === 'ECONNREFUSED' || code === 'ConnectionRefused')
    return 'connection refused'
  if (code === 'ECONNRESET' || code === 'ConnectionClosed' || code === 'EPIPE')
    return 'connection closed without an answer'
  return (message ?? String(error)).split('\n')[0]!
}
