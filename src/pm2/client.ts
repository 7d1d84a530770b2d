import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { ProcessDescription, StartOptions } from 'pm2'

/** The PM2 operations the launcher uses, as promises with timeouts. Nothing else imports pm2. */
export interface Pm2Client {
  /** The PM2 home this client talks to. */
  home: string
  start: (options: StartOptions) => Promise<void>
  restart: (id: string | number) => Promise<void>
  stop: (id: string | number) => Promise<void>
  delete: (id: string | number) => Promise<void>
  list: () => Promise<ProcessDescription[]>
  launchBus: () => Promise<Pm2Bus>
  /** Stops every process of this daemon and the daemon itself. */
  killDaemon: () => Promise<void>
  disconnect: () => void
}

/** The PM2 home `start` and the other production commands use: PM2_HOME if set, else PM2's own default. */
export function userPm2Home(): string {
  return process.env.PM2_HOME || join(homedir(), '.pm2')
}

/** The pid in `home`'s pm2.pid, if any. */
export function readDaemonPid(home: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(join(home, 'pm2.pid'), 'utf8'), 10) || undefined
  }
  catch {
    return undefined
  }
}

/**
 * True when `home`'s daemon runs: the pid in pm2.pid is alive and is a PM2 daemon (after a reboot
 * or a SIGKILL the file can name a pid that now belongs to anything else).
 */
export function daemonRunning(home: string): boolean {
  const pid = readDaemonPid(home)
  if (pid === undefined)
    return false
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1')
    return /Daemon\.js|God Daemon/.test(cmdline)
  }
  catch {
    return false
  }
}

/** The PM2 namespace of a listed process. */
export function namespaceOf(proc: ProcessDescription): string | undefined {
  return (proc.pm2_env as { namespace?: string } | undefined)?.namespace
}

/** PM2's event bus: `log:out`, `log:err`, `process:event`, `process:msg`. */
export interface Pm2Bus {
  on: (event: string, listener: (packet: Pm2Packet) => void) => void
}

export interface Pm2Packet {
  process: { name: string, pm_id: number, namespace?: string, pid?: number, pm_pid?: number, exit_code?: number, status?: string, restart_time?: number }
  data?: unknown
  raw?: unknown
  event?: string
  manually?: boolean
}

const TIMEOUT_MS = 30_000
let boundHome: string | undefined

/**
 * Connects to (and if needed spawns) the PM2 daemon of `home`. pm2 reads PM2_HOME when it is first
 * imported and creates ~/.pm2 otherwise, so the variable is set before the import; `env` is set
 * beside it because the daemon inherits this process's environment when spawned.
 */
export async function connectPm2(home: string, env: Record<string, string> = {}): Promise<Pm2Client> {
  // pm2 reads its paths once, at import: one process, one PM2 home.
  if (boundHome !== undefined && boundHome !== home)
    throw new Error(`pm2 is bound to ${boundHome} in this process; cannot connect to ${home}`)
  boundHome = home
  Object.assign(process.env, env, { PM2_HOME: home })
  const { default: pm2 } = await import('pm2')
  const call = <T>(what: string, run: (done: (error: unknown, result?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pm2 ${what}: no answer after ${TIMEOUT_MS / 1000} s (PM2_HOME=${home})`)), TIMEOUT_MS)
      run((error, result) => {
        clearTimeout(timer)
        if (error)
          reject(toError(error, what))
        else
          resolve(result as T)
      })
    })
  await call('connect', done => pm2.connect(false, done))
  return {
    home,
    start: async (options) => {
      await call<unknown>(`start ${options.name}`, done => pm2.start(options, done))
    },
    restart: async (id) => {
      await call<unknown>(`restart ${id}`, done => pm2.restart(id, done))
    },
    stop: async (id) => {
      await call<unknown>(`stop ${id}`, done => pm2.stop(id, done))
    },
    delete: async (id) => {
      await call<unknown>(`delete ${id}`, done => pm2.delete(id, done))
    },
    list: () => call('list', done => pm2.list(done)),
    launchBus: () => call('launchBus', done => pm2.launchBus(done)),
    killDaemon: async () => {
      await call<unknown>('kill', done => pm2.killDaemon(done))
    },
    disconnect: () => pm2.disconnect(),
  }
}

/** Polls the daemon until every one of `names` is online in `namespace`, or `timeoutMs` passes; returns their pids. */
export async function waitOnline(client: Pm2Client, namespace: string, names: string[], timeoutMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const online = new Map<string, number>()
    for (const proc of await client.list()) {
      if (namespaceOf(proc) === namespace && proc.pm2_env?.status === 'online' && proc.name && proc.pid)
        online.set(proc.name, proc.pid)
    }
    if (names.every(name => online.has(name)) || Date.now() >= deadline)
      return online
    await Bun.sleep(25)
  }
}

/** pm2 calls back with strings, arrays and objects as errors; make them Errors that say which call failed. */
function toError(error: unknown, what: string): Error {
  if (error instanceof Error)
    return new Error(`pm2 ${what}: ${error.message}`, { cause: error })
  const first = Array.isArray(error) ? error[0] : error
  const message = typeof first === 'string' ? first : (first as { message?: string, msg?: string })?.message ?? (first as { msg?: string })?.msg ?? JSON.stringify(first)
  return new Error(`pm2 ${what}: ${message}`, { cause: error })
}
