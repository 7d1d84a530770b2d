// What the containers' networks change: which ports Compose publishes on the host, and the
// loopback addresses (127.0.0.1, localhost) that reach no other container. Pure.

import type { ExportModel, ExportWorker } from './model.ts'
import { composePort, loopbackIn } from '../model/publish.ts'
import { isProbe } from './shared.ts'

/** A worker's `ports` (published on the host) or `expose` (the other services only) in Compose, and what to say of it. */
export interface ComposePorts {
  ports?: string[]
  expose?: string[]
  note?: string
}

/**
 * Compose publishes what the user declared (`options.publish`), else a worker with an http
 * heartbeat at its own port on 127.0.0.1: a web server is reachable from this host, and no port
 * (a database, Redis) is open to the network unless the config says so. Replicas share one port,
 * so they are never published on a fixed host port (said).
 */
export function composePorts(w: ExportWorker): ComposePorts {
  const expose = w.port === undefined ? {} : { expose: [String(w.port)] }
  const wanted = w.publish ?? (w.heartbeat.kind === 'http' && w.port !== undefined ? [{ address: '127.0.0.1', port: w.port }] : false)
  if (wanted === false)
    return expose
  if (w.replicas > 1)
    return { ...expose, note: `${w.name}: its ${w.replicas} replicas cannot all take host port ${wanted.map(p => p.port).join(', ')}, so it is not published (other services reach it as ${w.service}${w.port === undefined ? '' : `:${w.port}`}); put a proxy service in front to serve the host` }
  return { ports: wanted.map(published => composePort(published, w.port ?? published.port)) }
}

/** Variable names that hold the address a server listens on, rather than one it connects to. */
const BIND_NAME = /^(HOST|HOSTNAME|ADDR|ADDRESS)$|(^|_)(BIND|LISTEN)(_|$)/i
/** An option that takes the address to listen on: `--host`, `--bind`, `--listen`, `--hostname`, `-H`. */
const BIND_FLAG = /^--?(host|hostname|bind|listen|addr|address|H)$/

/**
 * Per worker, what names a loopback address and will not work in a container: a variable or an
 * argument that connects to 127.0.0.1 (it is the container itself there: use the service name), or
 * one a server listens on (nothing outside its container reaches it: not the other services, not
 * a published port, not Kubernetes' probes). Values from .env are not printed, only their names.
 */
export function loopbackNotes(model: ExportModel, target: 'Compose' | 'Kubernetes'): string[] {
  const notes: string[] = []
  const byPort = new Map(model.workers.filter(w => w.port !== undefined).map(w => [w.port!, w]))
  for (const w of model.workers) {
    const found: { what: string, how: 'connects' | 'binds', host: string, port?: number }[] = []
    for (const [key, value] of Object.entries({ ...w.env, ...w.secrets })) {
      const loop = loopbackIn(value)
      if (loop)
        found.push({ what: key, ...loop, how: BIND_NAME.test(key) ? 'binds' : loop.how === 'binds' ? 'connects' : loop.how })
    }
    const args = [...w.interpreterArgs, ...w.args]
    args.forEach((arg, i) => {
      const joined = /^--?[\w-]+=/.test(arg)
      const [flag, value] = joined ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [args[i - 1] ?? '', arg]
      const loop = loopbackIn(value)
      const binds = BIND_FLAG.test(flag)
      if (loop)
        found.push({ what: `\`${binds && !joined ? `${flag} ${arg}` : arg}\` in its args`, ...loop, how: binds ? 'binds' : loop.how === 'binds' ? 'connects' : loop.how })
    })
    for (const { what, how, host, port } of found) {
      if (how === 'connects') {
        // Its own port on loopback is itself, which a container still reaches.
        if (port !== undefined && port === w.port)
          continue
        const to = port === undefined ? undefined : byPort.get(port)
        const where = `${host}${port === undefined ? '' : `:${port}`}`
        notes.push(`${w.name}: ${what} points at ${where}, which in a container is the container itself: it will not reach ${to ? to.name : 'another service'}; use the service name${to ? ` (${to.service}:${port})` : ''}, e.g. in $production`)
      }
      else {
        const probes = target === 'Kubernetes' && isProbe(w.heartbeat) ? ', nor the kubelet\'s probes (they connect to the pod\'s IP, so they fail and the pod is restarted over and over)' : ''
        notes.push(`${w.name}: ${what} makes it listen on ${host}, which in a container takes no connection from outside it: not from the other services, not through a published port${probes}; listen on 0.0.0.0 there, e.g. in $production`)
      }
    }
  }
  if (target === 'Kubernetes') {
    const onLoopback = model.workers.filter(w => isProbe(w.heartbeat) && loopbackIn(w.heartbeat.kind === 'http' ? new URL(w.heartbeat.url).host : `${w.heartbeat.host}:${w.heartbeat.port}`))
    if (onLoopback.length > 0)
      notes.push(`the probes of ${onLoopback.map(w => w.name).join(', ')} connect to the pod's IP, not to 127.0.0.1 as the heartbeat does: the server must listen on every address (0.0.0.0, Bun.serve's and node's default), else the pod is never ready and is restarted over and over`)
  }
  return notes
}
