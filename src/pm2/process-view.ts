// PM2's processes and events as bun-pm reads them: typed views made from PM2's own shapes.

import { signalExitCode } from '../model/lifecycle.ts'
import type { ProcessDescription } from 'pm2'
import { isAlive } from '../os/processes.ts'
import { isInDaemonAgentPid } from '../model/agent-spec.ts'

/** PM2's process states, as its `pm2_env.status` says them. */
export type Pm2Status = 'online' | 'launching' | 'stopping' | 'stopped' | 'errored' | 'waiting restart' | 'one-launch-status'

/** A process as the rest of bun-pm sees it: only what it reads, typed, PM2's shapes left here. */
export interface ProcView {
  name: string
  pmId: number
  namespace: string
  /** PM2's instance index among the processes of its name (NODE_APP_INSTANCE): 0 … instances - 1. */
  instance: number
  /** PM2's own id of the process for good: a PM2 id is handed out again once the daemon's table is empty. */
  uniqueId: string
  /** The OS pid of a live process; null when PM2 has none (stopped, a spawn that failed) or it is gone. */
  pid: number | null
  status: Pm2Status
  restarts: number
  unstableRestarts: number
  /** The code of its last exit, as PM2 keeps it (null before any). */
  exitCode: number | null
  /** When the current run started (PM2's pm_uptime), ms since the epoch. */
  upSince: number | null
  memory: number | null
  cpu: number | null
  outLog?: string
  errLog?: string
  killTimeout?: number
  /** The variables PM2 passes the process (its explicit env); from a daemon bun-pm spawned, only bun-pm's own (`BUN_PM_*`: slimDescription). */
  env: Record<string, string>
  /** Interpreter arguments (bun's `--preload`, `--watch`, ...). */
  interpreterArgs: string[]
  pmx?: boolean
}

interface RawPm2Env {
  namespace?: string
  unique_id?: string
  instance_var?: string
  status?: Pm2Status
  restart_time?: number
  unstable_restarts?: number
  exit_code?: number
  /** The signal that ended it (bun-pm's daemons record it: daemon-exit-signal.ts). */
  exit_signal?: string | null
  pm_uptime?: number
  pm_out_log_path?: string
  pm_err_log_path?: string
  kill_timeout?: number
  env?: Record<string, string>
  node_args?: string[]
  pmx?: boolean
}

export function toProcView(proc: ProcessDescription): ProcView {
  const env = (proc.pm2_env ?? {}) as RawPm2Env
  return {
    name: proc.name ?? '',
    pmId: proc.pm_id ?? -1,
    namespace: env.namespace ?? 'default',
    instance: instanceOf(env),
    uniqueId: typeof (env as { unique_id?: unknown }).unique_id === 'string' ? (env as { unique_id: string }).unique_id : '',
    // PM2 keeps listing a pid after its process died (a SIGKILL, or a respawn that failed).
    // An agent inside the daemon has no process to look at: it runs while PM2 says so.
    pid: proc.pid && (isInDaemonAgentPid(proc.pid) ? env.status === 'online' : isAlive(proc.pid)) ? proc.pid : null,
    status: env.status ?? 'stopped',
    restarts: env.restart_time ?? 0,
    // Killed by a signal: the code a shell would give it, never PM2's 0 (a killed job is not done).
    exitCode: env.exit_signal ? signalExitCode(env.exit_signal) : typeof env.exit_code === 'number' ? env.exit_code : null,
    unstableRestarts: env.unstable_restarts ?? 0,
    upSince: env.pm_uptime ?? null,
    memory: proc.monit?.memory ?? null,
    cpu: proc.monit?.cpu ?? null,
    outLog: env.pm_out_log_path,
    errLog: env.pm_err_log_path,
    killTimeout: env.kill_timeout,
    env: env.env ?? {},
    interpreterArgs: env.node_args ?? [],
    pmx: env.pmx,
  }
}

/**
 * Asked of a daemon bun-pm spawned (`getMonitorData` with this key set), the list comes back
 * with only what `toProcView` reads (daemon-slim-list.ts): PM2's whole pm2_env with each
 * worker's environment is ~4.7 KB a process (~1 MB for 200), serialized by the daemon and parsed
 * by every `status`, `start` and health agent that lists. Any other daemon ignores the key.
 */
export const SLIM_LIST_KEY = 'bunPmSlim'

/** The variables of a process's env that bun-pm reads back (its version marks, the agent's spec, a session's token). */
const READ_BACK = /^bun_pm_/i

/** A process of PM2's list with only the fields `toProcView` reads: `toProcView(slimDescription(p))` equals `toProcView(p)`. */
export function slimDescription(proc: ProcessDescription): ProcessDescription {
  const env = (proc.pm2_env ?? {}) as RawPm2Env & Record<string, unknown>
  const instanceVar = env.instance_var ?? 'NODE_APP_INSTANCE'
  const kept: Record<string, unknown> = {
    namespace: env.namespace,
    instance_var: env.instance_var,
    [instanceVar]: env[instanceVar],
    unique_id: env.unique_id,
    status: env.status,
    restart_time: env.restart_time,
    unstable_restarts: env.unstable_restarts,
    exit_code: env.exit_code,
    exit_signal: env.exit_signal,
    pm_uptime: env.pm_uptime,
    pm_out_log_path: env.pm_out_log_path,
    pm_err_log_path: env.pm_err_log_path,
    kill_timeout: env.kill_timeout,
    node_args: env.node_args,
    pmx: env.pmx,
    env: env.env && Object.fromEntries(Object.entries(env.env).filter(([key]) => READ_BACK.test(key))),
  }
  return { name: proc.name, pm_id: proc.pm_id, pid: proc.pid, monit: proc.monit, pm2_env: kept } as ProcessDescription
}

/** A process's instance index, as PM2 puts it in its pm2_env (and in its events' `process`). */
export function instanceOf(env: { instance_var?: string }): number {
  return Number((env as Record<string, unknown>)[env.instance_var ?? 'NODE_APP_INSTANCE'] ?? 0) || 0
}

/**
 * `list`, shared: each call resolves with a listing that started after it was made, and calls
 * made while one is in flight share the next. A burst of 50 `online` events asks PM2 for its list
 * two or three times, not 50 (each is every process with its environment, served one at a time).
 */
export function freshLister(list: () => Promise<ProcView[]>): () => Promise<ProcView[]> {
  let inflight: Promise<unknown> = Promise.resolve()
  let next: Promise<ProcView[]> | undefined
  return () => {
    next ??= inflight.then(() => {
      const listing = list()
      inflight = listing.catch(() => {})
      next = undefined
      return listing
    })
    return next
  }
}

/** PM2's event bus: `log:out`, `log:err`, `process:event`, `process:msg`. */
export interface Pm2Bus {
  on: (event: string, listener: (packet: Pm2Packet) => void) => void
}

export interface Pm2Packet {
  /** Events carry PM2's whole pm2_env here (the instance index too); logs and messages only name, pm_id and namespace. */
  process: { name: string, pm_id: number, namespace?: string, instance_var?: string, unique_id?: string, pid?: number, pm_pid?: number, exit_code?: number, exit_signal?: string | null, status?: Pm2Status, restart_time?: number, pm_uptime?: number, [key: string]: unknown }
  data?: unknown
  raw?: unknown
  event?: string
  manually?: boolean
}
