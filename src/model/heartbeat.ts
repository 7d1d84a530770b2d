// The `heartbeat` grammar and durations: parsed, described for messages, the port they check. Pure.

import type { Heartbeat } from '../types/health.ts'

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const

/** `'500ms'`, `'30s'`, `'2m'`, `'1h'` (or a number of ms) in milliseconds; undefined when it is not one. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string')
    return undefined
  const match = DURATION.exec(value.trim())
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined
}

/** The heartbeat a config string means, or a sentence saying why it is none of the forms. */
export function parseHeartbeat(value: string | undefined): Heartbeat | { error: string } {
  if (value === undefined || value.trim() === '')
    return { kind: 'none' }
  const text = value.trim()
  if (/^\d/.test(text)) {
    const everyMs = parseDuration(text)
    if (everyMs === undefined || everyMs <= 0)
      return { error: 'is not a duration' }
    return { kind: 'push', everyMs }
  }
  let url: URL
  try {
    url = new URL(text)
  }
  catch {
    return { error: 'is neither a URL nor a duration' }
  }
  if (url.protocol === 'http:' || url.protocol === 'https:')
    return { kind: 'http', url: url.href }
  if (url.protocol === 'tcp:') {
    const port = Number(url.port)
    if (!url.hostname || !port || (url.pathname && url.pathname !== '/'))
      return { error: 'is a tcp:// address without a host and port (write \'tcp://127.0.0.1:5432\')' }
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port }
  }
  return { error: `uses ${url.protocol.slice(0, -1)}://, which is not a heartbeat (http://, https:// or tcp://)` }
}

/** The port a heartbeat checks: its URL's (443 for https without one, 80 for http), a tcp one's; none for push. */
export function heartbeatPort(heartbeat: Heartbeat): number | undefined {
  if (heartbeat.kind === 'tcp')
    return heartbeat.port
  if (heartbeat.kind !== 'http')
    return undefined
  const url = new URL(heartbeat.url)
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80))
}

/** What a check of this heartbeat is, for messages: `GET /health`, `tcp 127.0.0.1:5432`, `heartbeat() every 30 s`. */
export function describeHeartbeat(heartbeat: Heartbeat): string {
  switch (heartbeat.kind) {
    case 'none': return 'no heartbeat'
    case 'http': {
      const url = new URL(heartbeat.url)
      return `GET ${url.pathname}${url.search}`
    }
    case 'tcp': return `tcp ${heartbeat.host}:${heartbeat.port}`
    case 'push': return `heartbeat() every ${formatMs(heartbeat.everyMs)}`
  }
}

/** 1500 -> '1.5 s', 250 -> '250 ms', 120000 -> '2 min'. */
export function formatMs(ms: number): string {
  if (ms < 1000)
    return `${Math.round(ms)} ms`
  if (ms < 120_000)
    return `${Number((ms / 1000).toFixed(1))} s`
  return `${Number((ms / 60_000).toFixed(1))} min`
}
