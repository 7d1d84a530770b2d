import type { ProcessDescription } from 'pm2'

export interface StatusRow {
  name: string
  group: string
  pid: number | null
  status: string
  /** ok, starting, restarting, errored, stopped, not running */
  health: string
  memoryMb: number | null
  cpu: number | null
  restarts: number
  uptimeMs: number | null
  interpreter: string
}

/** One row per worker: from PM2 where it runs, `not running` where it does not. */
export function toStatusRows(procs: ProcessDescription[], workers: { name: string, group: string, interpreter: string }[]): StatusRow[] {
  const rows = workers.map((worker) => {
    const proc = procs.find(p => p.name === worker.name)
    return proc ? toRow(proc, worker.group, worker.interpreter) : notRunning(worker)
  })
  // Processes of the namespace that the config no longer has are shown too: they still run.
  for (const proc of procs) {
    if (proc.name && !workers.some(w => w.name === proc.name))
      rows.push(toRow(proc, '(not in config)', ''))
  }
  return rows
}

function toRow(proc: ProcessDescription, group: string, interpreter: string): StatusRow {
  const env = proc.pm2_env as { status?: string, restart_time?: number, pm_uptime?: number, unstable_restarts?: number } | undefined
  const status = env?.status ?? 'unknown'
  const online = status === 'online'
  return {
    name: proc.name ?? '',
    group,
    pid: online ? proc.pid ?? null : null,
    status,
    health: healthOf(status, env?.unstable_restarts ?? 0),
    memoryMb: online && proc.monit?.memory !== undefined ? Math.round(proc.monit.memory / 1024 / 1024) : null,
    cpu: online ? proc.monit?.cpu ?? null : null,
    restarts: env?.restart_time ?? 0,
    uptimeMs: online && env?.pm_uptime ? Date.now() - env.pm_uptime : null,
    interpreter,
  }
}

function notRunning(worker: { name: string, group: string, interpreter: string }): StatusRow {
  return { name: worker.name, group: worker.group, pid: null, status: 'not running', health: 'not running', memoryMb: null, cpu: null, restarts: 0, uptimeMs: null, interpreter: worker.interpreter }
}

function healthOf(status: string, unstableRestarts: number): string {
  if (status === 'online')
    return unstableRestarts > 0 ? 'restarting' : 'ok'
  if (status === 'launching' || status === 'waiting restart')
    return 'starting'
  return status
}

const COLUMNS = {
  name: (r: StatusRow) => r.name,
  group: (r: StatusRow) => r.group,
  pid: (r: StatusRow) => r.pid?.toString() ?? '-',
  status: (r: StatusRow) => r.status,
  health: (r: StatusRow) => r.health,
  memory: (r: StatusRow) => r.memoryMb === null ? '-' : `${r.memoryMb} MB`,
  restarts: (r: StatusRow) => String(r.restarts),
  uptime: (r: StatusRow) => r.uptimeMs === null ? '-' : formatDuration(r.uptimeMs),
  interpreter: (r: StatusRow) => r.interpreter,
} as const

export type Column = keyof typeof COLUMNS

/** A plain aligned table, one line per row, a header first. */
export function formatTable(rows: StatusRow[], columns: Column[]): string {
  const cells = [columns.map(c => c.toUpperCase()), ...rows.map(row => columns.map(c => COLUMNS[c](row)))]
  const widths = columns.map((_, i) => Math.max(...cells.map(line => line[i]!.length)))
  return cells.map(line => line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}

function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60)
    return `${s}s`
  if (s < 3600)
    return `${Math.floor(s / 60)}m${s % 60}s`
  if (s < 86400)
    return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`
}
