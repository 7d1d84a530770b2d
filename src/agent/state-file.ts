// The health agent's state file: where it lives in the PM2 home, written atomically, read back
// only while the agent that wrote it still runs.

import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive } from '../os/processes.ts'
import type { HealthSnapshot } from '../types/agent.ts'

/** Where the agent of `namespace` keeps its snapshot: in the PM2 home, in a folder only the user can open. */
export function stateFilePath(pm2Home: string, namespace: string): string {
  return join(pm2Home, 'bun-pm', `${namespace}.health.json`)
}

export function writeSnapshot(path: string, snapshot: HealthSnapshot): void {
  const dir = join(path, '..')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  chmodSync(dir, 0o700)
  const temp = `${path}.${process.pid}.tmp`
  writeFileSync(temp, JSON.stringify(snapshot), { mode: 0o600 })
  renameSync(temp, path)
}

/** The snapshot at `path`, or undefined when there is none or it is not one. */
export function readSnapshot(path: string): HealthSnapshot | undefined {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as HealthSnapshot
    // An agent of an earlier bun-pm wrote no processes: its word is not this one's.
    return typeof value === 'object' && value !== null && typeof value.processes === 'object' && value.processes !== null ? value : undefined
  }
  catch {
    return undefined
  }
}

/**
 * The snapshot of `namespace`'s agent, only while that agent still runs: a dead agent's word is
 * stale. One inside the daemon has no process of its own: it runs while its daemon does (its last
 * word, when it stops, leaves the daemon's pid out).
 */
export function readLiveSnapshot(pm2Home: string, namespace: string): HealthSnapshot | undefined {
  const snapshot = readSnapshot(stateFilePath(pm2Home, namespace))
  return snapshot && isAlive(snapshot.hostPid ?? snapshot.agentPid) ? snapshot : undefined
}
