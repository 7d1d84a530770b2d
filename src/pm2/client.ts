// The PM2 API as promises with timeouts: connect to a home's daemon, spawn, stop, list, listen.

import { LOG_BUDGET_KEY } from '../model/log-lines.ts'
import { createRequire } from 'node:module'
import type { ProcessDescription, StartOptions } from 'pm2'
import { trace } from '../trace.ts'
import { type Pm2Bus, type ProcView, toProcView } from './process-view.ts'

/** PM2's start options, for the modules that build them (nothing else imports pm2 but light-client.ts, which speaks to its sockets). */
export type { StartOptions }

const require = createRequire(import.meta.url)

/** The PM2 operations the launcher uses, as promises with timeouts. */
export interface Pm2Client {
  /** The PM2 home this client talks to. */
  home: string
  /**
   * Starts one process per app, whatever already runs under its name: a second process of a name
   * is how a new version starts beside the old one (PM2's own `start` would restart the old).
   * Each app alone: one that PM2 refuses fails only itself.
   */
  spawn: (apps: StartOptions[]) => Promise<SpawnResult[]>
  restart: (id: string | number) => Promise<void>
  /** Sends `data` to a running process (its `process.on('message')` gets `{ topic: 'bun-pm', data }`). */
  send: (id: number, data: unknown) => Promise<void>
  stop: (id: string | number) => Promise<void>
  delete: (id: string | number) => Promise<void>
  /** Every process of the daemon, whatever its namespace, as typed views. */
  list: () => Promise<ProcView[]>
  launchBus: () => Promise<Pm2Bus>
  /** Stops every process of this daemon and the daemon itself. */
  killDaemon: () => Promise<void>
  disconnect: () => void
}

/** How one app of a `spawn` went: the PM2 id of its new process, or why PM2 refused it. */
export type SpawnResult = { name: string, pmId: number, uniqueId: string } | { name: string, error: Error }

const TIMEOUT_MS = 30_000
let boundHome: string | undefined

/**
 * Connects to (and if needed spawns) the PM2 daemon of `home`. pm2 reads PM2_HOME when it is first
 * imported and creates ~/.pm2 otherwise, so the variable is set before the import; `env` is set
 * beside it because the daemon inherits this process's environment when spawned.
 */
export async function connectPm2(home: string, env: Record<string, string> = {}, { launchModules = false } = {}): Promise<Pm2Client> {
  bindHome(home)
  connection ??= open(home, env, launchModules)
  return connection
}

/** pm2 reads its paths once, at import: one process, one PM2 home, one connection. */
function bindHome(home: string): void {
  if (boundHome !== undefined && boundHome !== home)
    throw new Error(`pm2 is bound to ${boundHome} in this process; cannot connect to ${home}`)
  boundHome = home
}

let imported: ReturnType<typeof importPm2> | undefined

/**
 * Loads pm2's API for `home` (30-80 ms of modules, and it makes the home's folders), so that a
 * caller can do it while something else runs: the daemon booting in its own process.
 */
export async function loadPm2(home: string): Promise<void> {
  bindHome(home)
  process.env.PM2_HOME = home
  await (imported ??= importPm2())
}

/**
 * pm2 reads these when it is imported. PM2_CONCURRENT_ACTIONS: how many apps of one `start` it
 * hands its daemon at a time, 2 by default; with more, the daemon never idles between them
 * (50 workers: ~300 ms sooner). The user's own value wins.
 */
async function importPm2() {
  const own = process.env.PM2_CONCURRENT_ACTIONS
  process.env.PM2_CONCURRENT_ACTIONS ??= '16'
  try {
    return await import('pm2')
  }
  finally {
    // Read once, at import: it must not reach the daemon and, through it, every worker.
    if (own === undefined)
      delete process.env.PM2_CONCURRENT_ACTIONS
  }
}

let connection: Promise<Pm2Client> | undefined

async function open(home: string, env: Record<string, string>, launchModules: boolean): Promise<Pm2Client> {
  Object.assign(process.env, env, { PM2_HOME: home })
  const { default: pm2 } = await (imported ??= importPm2())
  trace('pm2 imported')
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
  // A daemon bun-pm spawned itself (src/pm2/daemon.ts) starts the PM2 modules the user installed
  // (`pm2 install`), as one that pm2.connect spawns does.
  if (launchModules)
    await call('launch modules', done => (pm2 as unknown as { launchModules: (done: (error: unknown) => void) => void }).launchModules(done))
  const { Client } = pm2 as unknown as { Client: { executeRemote: (method: string, arg: unknown, done: (error: unknown, result?: unknown) => void) => void } }
  /** One daemon method, its errors said as `what`'s. */
  const remote = (what: string) => (method: string, arg: unknown) => call<unknown>(what, done => Client.executeRemote(method, arg, done))
  const prepare = async (app: StartOptions): Promise<SpawnResult> => {
    const name = app.name ?? ''
    try {
      const resolved = resolveApp(app, home)
      const started = await call<{ pm2_env: { pm_id: number, unique_id?: string } }[]>(`start ${name}`, done => Client.executeRemote('prepare', resolved, done as (error: unknown, result?: unknown) => void))
      const { pm_id: pmId, unique_id: uniqueId = '' } = started[0]!.pm2_env
      return { name, pmId, uniqueId }
    }
    catch (error) {
      return { name, error: toError(error, `start ${name}`) }
    }
  }
  // At most this many apps at the daemon at once, across every spawn of this client: it never
  // idles between them, and 100 workers are not 100 requests at the same moment.
  let inFlight = 0
  const queued: (() => void)[] = []
  const limited = async (app: StartOptions) => {
    if (inFlight >= SPAWN_AT_ONCE)
      await new Promise<void>(resolve => queued.push(resolve))
    inFlight++
    try {
      return await prepare(app)
    }
    finally {
      inFlight--
      queued.shift()?.()
    }
  }
  return {
    home,
    spawn: async (apps) => {
      trace(`pm2 start ${apps.map(app => app.name).join(', ')}`)
      const results = await Promise.all(apps.map(limited))
      trace(`pm2 started ${apps.length} apps`)
      return results
    },
    restart: async (id) => {
      await call<unknown>(`restart ${id}`, done => pm2.restart(id, done))
    },
    send: async (id, data) => {
      await call<unknown>(`send to ${id}`, done => Client.executeRemote('sendDataToProcessId', { id, topic: 'bun-pm', data, type: 'process:msg' }, done))
    },
    stop: async (id) => {
      if (typeof id === 'number')
        return byId(id, 'stop', remote(`stop ${id}`))
      await call<unknown>(`stop ${id}`, done => pm2.stop(id, done))
    },
    delete: async (id) => {
      if (typeof id === 'number')
        return byId(id, 'delete', remote(`delete ${id}`))
      await call<unknown>(`delete ${id}`, done => pm2.delete(id, done))
    },
    list: async () => (await call<ProcessDescription[]>('list', done => pm2.list(done))).map(toProcView),
    launchBus: () => call('launchBus', done => pm2.launchBus(done)),
    killDaemon: async () => {
      await call<unknown>('kill', done => pm2.killDaemon(done))
    },
    disconnect: () => {
      connection = undefined
      pm2.disconnect()
    },
  }
}

const SPAWN_AT_ONCE = 16

/**
 * Stops, deletes or restarts process `id` as PM2's own `stop <id>` does in the end (pm2/lib/API.js,
 * _operate: the daemon's stopProcessId, deleteProcessId or restartProcessId, then notifyByProcessId, which tells
 * the bus it was done by hand), without what comes before it there: for an id, PM2's API first
 * lists every process twice (getMonitorData, each one's CPU and memory measured), to see whether
 * an app or a namespace is *named* like the number. With 200 workers stopped at once that was
 * 400 lists of 200 processes, and the stops did not reach the daemon within 30 s.
 */
export async function byId(id: number, action: 'stop' | 'delete' | 'restart', remote: (method: string, arg: unknown) => Promise<unknown>): Promise<void> {
  // A restart takes the environment to update (none here), as PM2's API sends it.
  await remote(`${action}ProcessId`, action === 'restart' ? { id, env: {} } : id)
  // PM2's API does not wait for this one's answer, nor fail on it.
  await remote('notifyByProcessId', { id, action_name: action, manually: true }).catch(() => {})
}

/**
 * An app as PM2's own `start` hands it to the daemon's `prepare` (pm2/lib/API.js, _startJson and
 * its startApps): checked and completed by PM2's Common (which throws PM2's own refusal), with the
 * PM2 home in its env. What that start does first — list every process and restart the ones of
 * the same name — is what bun-pm must not have.
 *
 * The process gets the app's `env` and nothing else: PM2 lays the environment of the process that
 * starts it (the deployer's shell: SSH_CLIENT, OLDPWD, a secret exported for another tool) under
 * it, and its `filter_env` is no way out (`true` is ignored for want of a `length`; a list drops
 * every name that contains an entry). bun-pm decides what a worker gets (README,
 * "Environment"); what PM2 adds is only PM2_HOME.
 */
function resolveApp(app: StartOptions, home: string): Record<string, unknown> {
  const Common = require('pm2/lib/Common.js') as {
    verifyConfs: (apps: unknown[]) => Record<string, unknown>[] | Error
    getCurrentUsername: () => string
    resolveAppAttributes: (opts: { cwd: string, pm2_home: string }, app: unknown) => Record<string, unknown> & { env?: Record<string, unknown> }
    mergeEnvironmentVariables: (app: unknown, envName?: string, deploy?: unknown) => Record<string, unknown>
  }
  const verified = Common.verifyConfs([structuredClone(app)])
  if (verified instanceof Error)
    throw verified
  const conf = verified[0]!
  conf.username = Common.getCurrentUsername()
  const resolved = Common.resolveAppAttributes({ cwd: process.cwd(), pm2_home: home }, conf)
  resolved.env = { ...app.env, PM2_HOME: home }
  resolved.env = Common.mergeEnvironmentVariables(resolved, undefined, {})
  delete resolved.env.current_conf
  resolved.km_link = false
  // bun-pm's log budget, for its writer in the daemon: PM2's check drops keys it does not know.
  if (LOG_BUDGET_KEY in app)
    resolved[LOG_BUDGET_KEY] = (app as Record<string, unknown>)[LOG_BUDGET_KEY]
  return resolved
}

/** pm2 calls back with strings, arrays and objects as errors; make them Errors that say which call failed. */
export function toError(error: unknown, what: string): Error {
  if (error instanceof Error)
    return new Error(`pm2 ${what}: ${error.message}`, { cause: error })
  const first = Array.isArray(error) ? error[0] : error
  const message = typeof first === 'string' ? first : (first as { message?: string, msg?: string })?.message ?? (first as { msg?: string })?.msg ?? JSON.stringify(first)
  return new Error(`pm2 ${what}: ${message}`, { cause: error })
}
