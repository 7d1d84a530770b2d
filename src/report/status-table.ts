// The status table: each unit of the config with its process, its health by the agent's word, and the
// processes the config no longer has. Pure: the listing and the snapshot come in.

import { isAgentName } from '../model/agent-spec.ts'
import { formatMs } from '../model/heartbeat.ts'
import { unitLabel, unitsOf, unitsOfProcesses } from '../model/units.ts'
import { isReadinessOnly } from '../model/lifecycle.ts'
import type { HealthSnapshot } from '../types/agent.ts'
import type { StatusRow } from '../types/json.ts'
import type { ProcView } from '../pm2/process-view.ts'

export interface HealthFacts {
  /** The agent's state file. */
  snapshot?: HealthSnapshot
  /** Whether the agent that wrote it still runs (default: trust the snapshot). */
  agentRunning?: boolean
  /** How the user gets a health agent, for the reason of a unit no agent judges (`\`bun-pm start\` starts it`). */
  agentAdvice?: string
  now?: number
}

type WorkerInfo = { name: string, group: string, interpreter: string, activated?: boolean, replicas?: number }

/**
 * One row per unit (a worker, or each replica of one): from PM2 and the health agent where it
 * runs, `not running` where it does not. Pure.
 */
export function toStatusRows(procs: ProcView[], workers: WorkerInfo[], facts: HealthFacts = {}): StatusRow[] {
  const rows = workers.flatMap((worker) => {
    const replicas = worker.replicas ?? 1
    const mine = procs.filter(p => p.name === worker.name)
    const units = new Map(unitsOf(worker.name, replicas).map(unit => [unit, undefined as ProcView | undefined]))
    // A replica beyond the count (being removed) is still shown while it runs.
    for (const proc of [...mine].sort((a, b) => a.instance - b.instance))
      units.set(unitLabel(worker.name, proc.instance, replicas), proc)
    return [...units].map(([unit, proc]) => proc ? toRow(proc, unit, worker.group, worker.interpreter, facts) : notRunning(worker, unit))
  })
  // Processes of the namespace that the config no longer has are shown too: they still run.
  const departed = procs.filter(proc => !isAgentName(proc.name) && !workers.some(w => w.name === proc.name))
  const units = unitsOfProcesses(departed)
  departed.forEach((proc, i) => rows.push(toRow(proc, units[i]!, '(not in config)', '', facts)))
  return rows
}

function toRow(proc: ProcView, unit: string, group: string, interpreter: string, facts: HealthFacts): StatusRow {
  const now = facts.now ?? Date.now()
  const online = proc.status === 'online'
  const { health, reason, lastOkAt } = judge(proc, facts, unit)
  const state = stateOf(facts.snapshot, unit, proc)
  return {
    name: unit,
    worker: proc.name,
    instance: proc.instance,
    group,
    pid: online ? proc.pid : null,
    status: proc.status,
    health,
    reason,
    lastCheck: online && state?.pid === proc.pid ? state.lastCheck : null,
    // Without a heartbeat there is no check to have passed: staying up made it ready, once.
    lastOkAgoMs: lastOkAt === null || (state !== undefined && isReadinessOnly(state.check)) ? null : Math.max(0, now - lastOkAt),
    memoryMb: online && proc.memory !== null ? Math.round(proc.memory / 1024 / 1024) : null,
    cpu: online ? proc.cpu : null,
    restarts: proc.restarts,
    uptimeMs: online && proc.upSince ? now - proc.upSince : null,
    interpreter,
  }
}

/** A worker's health from PM2's listing and the agent's state; PM2's `online` alone never makes it ready. */
export function judge(proc: ProcView, { snapshot, agentRunning = true, agentAdvice }: HealthFacts, unit = proc.name): { health: StatusRow['health'], reason: string | null, lastOkAt: number | null } {
  const state = stateOf(snapshot, unit, proc)
  if (proc.status === 'online' && proc.pid === null)
    return { health: 'unhealthy', reason: 'PM2 lists it online, but it has no live process', lastOkAt: state?.lastOkAt ?? null }
  if (state?.halted && proc.status !== 'online')
    return { health: 'errored', reason: state.reason, lastOkAt: state.lastOkAt }
  if (proc.status === 'errored')
    return { health: 'errored', reason: state?.reason ?? 'PM2 gave up on it after it crashed again and again', lastOkAt: state?.lastOkAt ?? null }
  // An exit PM2 does not restart after (a stop_exit_code): over, whatever PM2's back-off left as its status.
  const over = state !== undefined && !state.running && state.exitCode !== null
  if (proc.status === 'stopped' || proc.status === 'stopping' || (over && proc.status !== 'online'))
    return { health: 'none', reason: state?.reason ?? 'stopped', lastOkAt: state?.lastOkAt ?? null }
  if (!state || !agentRunning)
    return { health: 'unknown', reason: `no health agent runs for this workspace${agentAdvice ? `; ${agentAdvice}` : ''}`, lastOkAt: state?.lastOkAt ?? null }
  if (proc.status === 'waiting restart' || proc.status === 'launching' || state.pid !== proc.pid)
    return { health: state.streak >= 2 ? 'crash-looping' : 'starting', reason: state.reason, lastOkAt: state.lastOkAt }
  return { health: state.health, reason: state.reason, lastOkAt: state.lastOkAt }
}

/** The agent's word on this very process: by PM2 id, while it names the same process (PM2 hands ids out again). */
function stateOf(snapshot: HealthSnapshot | undefined, _unit: string, proc: ProcView): HealthSnapshot['processes'][string] | undefined {
  const state = snapshot?.processes[String(proc.pmId)]
  return state && (state.uniqueId === proc.uniqueId || !proc.uniqueId) ? state : undefined
}

function notRunning(worker: WorkerInfo, unit: string): StatusRow {
  const reason = worker.activated === false ? 'deactivated (activated: false)' : 'not running'
  return { name: unit, worker: worker.name, instance: Number(unit.split('#')[1] ?? 0), group: worker.group, pid: null, status: worker.activated === false ? 'deactivated' : 'not running', health: 'none', reason, lastCheck: null, lastOkAgoMs: null, memoryMb: null, cpu: null, restarts: 0, uptimeMs: null, interpreter: worker.interpreter }
}

const COLUMNS = {
  name: (r: StatusRow) => r.name,
  group: (r: StatusRow) => r.group,
  pid: (r: StatusRow) => r.pid?.toString() ?? '-',
  status: (r: StatusRow) => r.status,
  health: (r: StatusRow) => r.health,
  'last ok': (r: StatusRow) => r.lastOkAgoMs === null ? '-' : `${formatDuration(r.lastOkAgoMs)} ago`,
  memory: (r: StatusRow) => r.memoryMb === null ? '-' : `${r.memoryMb} MB`,
  restarts: (r: StatusRow) => String(r.restarts),
  uptime: (r: StatusRow) => r.uptimeMs === null ? '-' : formatDuration(r.uptimeMs),
  interpreter: (r: StatusRow) => r.interpreter,
  reason: (r: StatusRow) => reasonOf(r),
} as const

/** The restart's reason, or while it is starting or unhealthy what its check finds. */
export function reasonOf(r: StatusRow): string {
  return (r.health === 'starting' || r.health === 'unhealthy') && r.lastCheck ? r.lastCheck : r.reason ?? ''
}

export type Column = keyof typeof COLUMNS

/** A plain aligned table, one line per row, a header first. */
export function formatTable(rows: StatusRow[], columns: Column[]): string {
  const cells = [columns.map(c => c.toUpperCase()), ...rows.map(row => columns.map(c => COLUMNS[c](row)))]
  const widths = columns.map((_, i) => Math.max(...cells.map(line => line[i]!.length)))
  return cells.map(line => line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}

/** A duration as the table says it: `850ms`, `42s`, `3m20s`, `2h5m`, `1d4h`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000)
    return formatMs(ms).replace(' ', '')
  const s = Math.floor(ms / 1000)
  if (s < 60)
    return `${s}s`
  if (s < 3600)
    return `${Math.floor(s / 60)}m${s % 60}s`
  if (s < 86400)
    return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`
}
