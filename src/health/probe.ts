import { connect } from 'node:net'
import { describeHeartbeat, formatMs, type Heartbeat } from './heartbeat.ts'

export interface ProbeResult {
  ok: boolean
  /** What was seen, for messages: `GET /health -> 200`, `tcp 127.0.0.1:5432: connection refused`. */
  detail: string
}

/** One check of an http(s) or tcp heartbeat, bounded by `timeoutMs`. Never throws. */
export async function probe(heartbeat: Heartbeat & { kind: 'http' | 'tcp' }, timeoutMs: number): Promise<ProbeResult> {
  return heartbeat.kind === 'http' ? probeHttp(heartbeat, timeoutMs) : probeTcp(heartbeat, timeoutMs)
}

async function probeHttp(heartbeat: Heartbeat & { kind: 'http' }, timeoutMs: number): Promise<ProbeResult> {
  const what = describeHeartbeat(heartbeat)
  try {
    // A fresh connection each time: a kept-alive socket to a process that was replaced fails once for nothing.
    const response = await fetch(heartbeat.url, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
      keepalive: false,
      headers: { 'connection': 'close', 'user-agent': 'bun-pm-heartbeat' },
    })
    await response.body?.cancel().catch(() => {})
    return { ok: response.status >= 200 && response.status < 300, detail: `${what} -> ${response.status}` }
  }
  catch (error) {
    return { ok: false, detail: `${what}: ${describeError(error, timeoutMs)}` }
  }
}

function probeTcp(heartbeat: Heartbeat & { kind: 'tcp' }, timeoutMs: number): Promise<ProbeResult> {
  const what = describeHeartbeat(heartbeat)
  return new Promise((resolve) => {
    const socket = connect({ host: heartbeat.host, port: heartbeat.port })
    const done = (result: ProbeResult) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(result)
    }
    const timer = setTimeout(() => done({ ok: false, detail: `${what}: no connection within ${formatMs(timeoutMs)}` }), timeoutMs)
    socket.once('connect', () => done({ ok: true, detail: `${what}: connected` }))
    socket.once('error', error => done({ ok: false, detail: `${what}: ${describeError(error, timeoutMs)}` }))
  })
}

function describeError(error: unknown, timeoutMs: number): string {
  const { name, code, message } = error as { name?: string, code?: string, message?: string }
  if (name === 'TimeoutError' || name === 'AbortError')
    return `no answer within ${formatMs(timeoutMs)}`
  if (code === 'ECONNREFUSED' || code === 'ConnectionRefused')
    return 'connection refused'
  if (code === 'ECONNRESET' || code === 'ConnectionClosed')
    return 'connection closed without an answer'
  return (message ?? String(error)).split('\n')[0]!
}
