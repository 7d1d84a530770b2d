import type { StartOptions } from 'pm2'

/**
 * The programs a worker can run under. Each one picks the worker's script field of the same name.
 * - `bun`: the script in `bun` (TypeScript runs as it is).
 * - `node`: the script in `node` (usually built JavaScript, e.g. `dist/workers/x.js`).
 * - `tsx`: the script in `tsx`, run by the `tsx` package (install it: `npm install -D tsx`).
 */
export type Interpreter = 'bun' | 'node' | 'tsx'

/** Which rules apply: `dev` (the foreground loop) or `start` (production on the PM2 daemon). */
export type Mode = 'dev' | 'start'

/**
 * PM2 start options, minus `name` and `script`: the launcher sets those from the worker.
 * See https://pm2.keymetrics.io/docs/usage/application-declaration/ for every field.
 */
export interface WorkerOptions extends Omit<StartOptions, 'name' | 'script' | 'interpreter' | 'env'> {
  /**
   * The program that runs the worker; it also picks which script field is used.
   * @default 'bun'
   */
  interpreter?: Interpreter
  /**
   * Variables for this worker. They win over `.env`, `.env.local` and the shell's environment;
   * to let the shell override one, write it as `PORT: process.env.PORT ?? '3000'`.
   * @example { PORT: '3000', LOG_LEVEL: 'debug' }
   */
  env?: Record<string, string>
  /**
   * Load PM2's monitoring library (`@pm2/io`) into the worker: custom metrics in `pm2 monit`, at
   * the cost of a slower start and reload. bun-pm turns it off unless this says otherwise
   * (PM2's own default is on).
   * @default false
   */
  pmx?: boolean
}

/** One process the workspace can run. */
export interface Worker {
  /**
   * Unique name; PM2 shows it in `pm2 ls` and it is what `--workers` selects.
   * Letters, digits, `.`, `_` and `-`, starting with a letter or digit; not only digits
   * (PM2 would read it as a process id) and not `all`.
   * @example 'primary-webserver'
   */
  name: string
  /**
   * The group `--group` selects. `start` with no selection runs group `primary`.
   * @default 'primary'
   * @example 'jobs'
   */
  group?: string
  /**
   * `false` keeps the worker out of every run: no group selects it, and naming it is an error.
   * @default true
   */
  activated?: boolean
  /**
   * How the worker's health will be checked (reserved: checks are not enforced yet).
   * Either an `http://` or `https://` URL that must answer 2xx, or a duration (`'500ms'`, `'30s'`,
   * `'5m'`) within which the worker must report in.
   * @example 'http://127.0.0.1:3000/health'
   * @example '30s'
   */
  heartbeat?: string
  /**
   * Script run when the interpreter is `bun`, relative to the workspace root.
   * @example 'workers/webserver.ts'
   */
  bun?: string
  /**
   * Script run when the interpreter is `node`, relative to the workspace root.
   * @example 'dist/workers/webserver.js'
   */
  node?: string
  /**
   * Script run when the interpreter is `tsx`, relative to the workspace root.
   * @example 'workers/webserver.ts'
   */
  tsx?: string
  /**
   * PM2 start options for this worker; merged over the workspace `defaults`.
   * @example { max_memory_restart: '200M', env: { PORT: '3000' } }
   */
  options?: WorkerOptions
}

/** The whole `pm.config.ts`. */
export interface Workspace {
  /**
   * Names this workspace: it becomes the PM2 namespace of its workers, so that commands touch only
   * this workspace's processes in a shared PM2 daemon.
   * @default the `name` in package.json, else the folder's name
   * @example 'shop-backend'
   */
  name?: string
  /**
   * PM2 start options shared by every worker; each worker's `options` are merged over them, and
   * they over the built-in defaults (see `BUILTIN_DEFAULTS`).
   * @example { max_memory_restart: '200M', env: { LOG_LEVEL: 'info' } }
   */
  defaults?: WorkerOptions
  /** The workers, in the order they start. */
  workers: Worker[]
}

/** Where a variable of a worker's environment came from, lowest precedence first. */
export type EnvSource = '.env' | '.env.local' | 'shell' | 'mode' | 'defaults.env' | 'options.env'

/** The selection flags every command takes. */
export interface Selection {
  workers?: string[]
  groups?: string[]
}
