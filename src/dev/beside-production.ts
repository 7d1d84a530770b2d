// dev on a machine where `start` runs the same workspace: a dev copy of a worker must not take a
// port its production process listens on. With reusePort the kernel would share the port — dev
// code serving production traffic, and each side's health checks answered by the other's process,
// restarting both. Such a worker is not started in dev, and says why. The decision is pure;
// `productionOf` reads what runs (the user's health agent's state file, and /proc).

import { heartbeatPort } from '../model/heartbeat.ts'
import type { Heartbeat } from '../types/health.ts'
import { readLiveSnapshot } from '../agent/state-file.ts'
import { listenersOf } from '../os/sockets.ts'
import { bunPm } from '../invocation.ts'

/** A process of the workspace that `start` runs on the user's PM2 daemon, with the ports it listens on. */
export interface ProductionProcess {
  worker: string
  pid: number
  ports: number[]
}

/**
 * The dev workers that would share a port with their production process, and why: its process
 * listens, and the dev copy checks the same port — or has no port to check, so nothing says it
 * would listen elsewhere.
 */
export function besideProduction(workers: { name: string, heartbeat: Heartbeat }[], production: ProductionProcess[], userHome: string): Map<string, string> {
  const held = new Map<string, string>()
  for (const worker of workers) {
    const port = heartbeatPort(worker.heartbeat)
    const proc = production.find(p => p.worker === worker.name && p.ports.length > 0 && (port === undefined || p.ports.includes(port)))
    if (proc) {
      const ports = port === undefined ? proc.ports : [port]
      held.set(worker.name, `\`start\` runs it on the PM2 daemon of ${userHome} (pid ${proc.pid}, listening on ${ports.join(', ')}); a dev copy would share ${ports.length === 1 ? 'that port' : 'those ports'} and serve production traffic: stop it first (\`${bunPm(`stop --workers=${worker.name}`)}\`), or give dev another port (in .env.local)`)
    }
  }
  return held
}

/** The running processes of `namespace` on the user's daemon, by its health agent's word (nothing is asked of that daemon), with their ports. */
export function productionOf(userHome: string, namespace: string): ProductionProcess[] {
  const snapshot = readLiveSnapshot(userHome, namespace)
  return Object.values(snapshot?.processes ?? {}).flatMap(state => state.running && state.pid !== null
    ? [{ worker: state.worker, pid: state.pid, ports: [...new Set(listenersOf(state.pid).map(l => l.port))] }]
    : [])
}
