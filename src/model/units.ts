// Replicas as units: how many, their labels (web#1), and whose is which. Pure.

import { heartbeatPort } from './heartbeat.ts'
import type { HealthPolicy, Heartbeat } from '../types/health.ts'

/**
 * Replicas: `instances: N` runs N processes of one worker (PM2 does so in fork mode too). Each is
 * a *unit* of its own — its row in status, its health, its lines in dev — named `web#0`, `web#1`,
 * …; a worker of one process is its name alone. Worker names cannot hold `#`. Pure.
 */

/** How many processes `instances` asks for: a count, or `'max'`/`0` = one per core, `-k` = cores less k (at least 1). */
export function replicaCount(instances: unknown, cores: number): number {
  if (instances === undefined || instances === null)
    return 1
  if (instances === 'max' || instances === 0 || instances === '0')
    return Math.max(1, cores)
  const n = Number(instances)
  if (!Number.isInteger(n))
    return 1
  return n < 0 ? Math.max(1, cores + n) : n
}

/** The unit of a worker's process with PM2 instance index `index` (a replica left over from a larger count keeps its `#i`). */
export function unitLabel(name: string, index: number, replicas: number): string {
  return replicas > 1 || index > 0 ? `${name}#${index}` : name
}

/** The unit of each process, judged from the processes alone (how many share its name). */
export function unitsOfProcesses(procs: { name: string, instance: number }[]): string[] {
  return procs.map(proc => unitLabel(proc.name, proc.instance, procs.filter(p => p.name === proc.name).length))
}

/**
 * Units by PM2 id, learnt where the instance index is known (a listing, PM2's events) and used
 * where only the id is (log lines, messages): the same map for dev, --attach and `logs`.
 */
export class UnitNames {
  private readonly byPmId = new Map<number, string>()
  /** Notes the unit of process `pmId` and returns it. */
  learn(pmId: number, name: string, index: number, replicas: number): string {
    const unit = unitLabel(name, index, replicas)
    this.byPmId.set(pmId, unit)
    return unit
  }

  /** Learns every process of a listing, each labelled by how many share its name; their units, in order. */
  learnListing(procs: { pmId: number, name: string, instance: number }[]): string[] {
    const units = unitsOfProcesses(procs)
    procs.forEach((proc, i) => this.byPmId.set(proc.pmId, units[i]!))
    return units
  }

  /** The unit of process `pmId`, or its worker's name when none was learnt. */
  of(pmId: number, name: string): string {
    return this.byPmId.get(pmId) ?? name
  }

  /** The unit of process `pmId`, if one was learnt. */
  known(pmId: number): string | undefined {
    return this.byPmId.get(pmId)
  }
}

/** Every unit of a worker, in index order. */
export function unitsOf(name: string, replicas: number): string[] {
  return replicas > 1 ? Array.from({ length: replicas }, (_, i) => `${name}#${i}`) : [name]
}

/** The worker a unit belongs to. */
export function workerOf(unit: string): string {
  const at = unit.indexOf('#')
  return at === -1 ? unit : unit.slice(0, at)
}

/**
 * The health policy of replica `index`. With PM2's `increment_var` (say `PORT`), replica i gets
 * the base value + i; a heartbeat aimed at the base port is aimed at replica i's port, so that
 * each replica answers for itself. Any other heartbeat is the same for every replica.
 */
export function replicaPolicy(policy: HealthPolicy, index: number, incrementVar: string | undefined, env: Record<string, string>): HealthPolicy {
  const base = incrementVar === undefined ? Number.NaN : Number(env[incrementVar] ?? 0)
  if (index === 0 || !Number.isInteger(base))
    return policy
  const heartbeat = shiftPort(policy.heartbeat, base, index)
  return heartbeat === policy.heartbeat ? policy : { ...policy, heartbeat }
}

function shiftPort(heartbeat: Heartbeat, base: number, index: number): Heartbeat {
  if (heartbeat.kind === 'tcp')
    return heartbeat.port === base ? { ...heartbeat, port: base + index } : heartbeat
  if (heartbeat.kind === 'http') {
    if (heartbeatPort(heartbeat) !== base)
      return heartbeat
    const url = new URL(heartbeat.url)
    url.port = String(base + index)
    return { kind: 'http', url: url.href }
  }
  return heartbeat
}

/** Each unit of each worker with its policy: what the health agent watches. */
export function unitPolicies(workers: { name: string, replicas: number, health: HealthPolicy, incrementVar?: string, env: Record<string, string> }[]): Record<string, HealthPolicy> {
  return Object.fromEntries(workers.flatMap(w => unitsOf(w.name, w.replicas).map((unit, i) => [unit, replicaPolicy(w.health, i, w.incrementVar, w.env)])))
}
