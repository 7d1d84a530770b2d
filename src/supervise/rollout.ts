// How a running unit is replaced by a new version: beside it (a surge: the new one serves before
// the old one stops) or after it (stopped first, as PM2 restarts). Pure: the facts come in.
import type { Mode } from '../types/config.ts'
import type { HealthPolicy } from '../types/health.ts'

export type Strategy =
  | { kind: 'surge', why: string }
  | { kind: 'stop-first', why: string }

/** What is known of the ports the running version holds: each port, and whether a second listener could join it. */
export type PortFacts = { port: number, shared: boolean | undefined }[]

/**
 * The new version starts beside the old one when its readiness can be judged (a heartbeat), and
 * every port the old one listens on takes a second listener (SO_REUSEPORT: Bun.serve's
 * `reusePort`, which bun-pm's entry sets for a default-exported server). Otherwise the old one
 * is stopped first: a fixed port without reusePort, no heartbeat, a one-shot job, and `dev`,
 * which replaces in place.
 */
export function strategyFor({ mode, policy, ports }: { mode: Mode, policy: HealthPolicy, ports: PortFacts }): Strategy {
  if (mode === 'dev')
    return { kind: 'stop-first', why: 'dev replaces in place' }
  if (!policy.autorestart)
    return { kind: 'stop-first', why: 'a one-shot job' }
  if (policy.heartbeat.kind === 'none')
    return { kind: 'stop-first', why: 'no heartbeat to judge the new process ready' }
  const held = ports.filter(p => p.shared !== true)
  if (held.length > 0)
    return { kind: 'stop-first', why: `${plural(held.map(p => p.port), 'port')} ${held.length === 1 ? 'is' : 'are'} held without reusePort` }
  return { kind: 'surge', why: ports.length > 0 ? `new beside old: ${plural(ports.map(p => p.port), 'port')} shared (reusePort)` : 'new beside old: it holds no port' }
}

function plural(ports: number[], word: string): string {
  const unique = [...new Set(ports)]
  return `${word}${unique.length === 1 ? '' : 's'} ${unique.join(', ')}`
}
