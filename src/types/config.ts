// The config's types, as users write them in pm.config.ts, and the internal modes and rules.
// Types only.

import type { StartOptions } from 'pm2'
import type { LogOptions } from './logs.ts'

/** PM2's start options, as its own types say them (bun-pm names them; only src/pm2/ loads pm2). */
export type { StartOptions }

/**
 * The programs a worker can run under. Each one picks the worker's script field of the same name.
 * - `bun`: the script in `bun` (TypeScript runs as it is).
 * - `node`: the script in `node` (usually built JavaScript, e.g. `dist/workers/x.js`).
 * - `tsx`: the script in `tsx`, run by the `tsx` package (install it: `npm install tsx`, a dependency: it runs in production).
 */
export type Interpreter = 'bun' | 'node' | 'tsx'

/** What a worker runs under: an interpreter and its script, or `cmd`, a program of its own (`Worker.cmd`). */
export type RunsUnder = Interpreter | 'cmd'

/** Which rules apply: `dev` (the foreground loop) or `start` (production on the PM2 daemon). */
export type Mode = 'dev' | 'start'

/** A length of time: milliseconds as a number, or a string such as `'500ms'`, `'10s'`, `'2m'`, `'1h'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h'}`

/**
 * How bun-pm checks a worker's `heartbeat`, and how long it waits before it acts. Set it in
 * `defaults` for every worker, and in a worker's `options` for that one (merged key by key).
 * @example { interval: '2s', failures: 5, grace: '1m' }
 */
export interface HealthOptions {
  /**
   * Between two checks of an `http://` or `tcp://` heartbeat once the worker is ready. (A
   * duration heartbeat is judged once per its own period.)
   * @default '5s'
   */
  interval?: Duration
  /**
   * One `http://` or `tcp://` check that has no answer by then has failed.
   * @default '2s'
   */
  timeout?: Duration
  /**
   * Failed checks in a row (for a duration heartbeat: periods without a `heartbeat()` call) after
   * which bun-pm restarts the worker.
   * @default 3
   */
  failures?: number
  /**
   * After each start, how long the worker has to pass its first check; failures before that do
   * not count. A worker still not ready then is treated as failing.
   * @default '30s'
   */
  grace?: Duration
  /**
   * For a worker without a heartbeat: how long it must stay up, without a crash, to count as ready.
   * @default '1s'
   */
  readyAfter?: Duration
}

/**
 * PM2 start options, minus `name` and `script`: the launcher sets those from the worker.
 * See https://pm2.keymetrics.io/docs/usage/application-declaration/ for every field.
 */
export interface WorkerOptions extends Omit<StartOptions, 'name' | 'script' | 'interpreter' | 'env' | 'instances'> {
  /**
   * How many processes of this worker run (replicas; PM2 runs them in fork mode too). Each has its
   * own row (`web#0`, `web#1`, …), health checks and restarts, and reads its index in
   * `NODE_APP_INSTANCE`. `'max'` is one per core, `-1` one fewer. A new count adds or removes only
   * the difference. Give each its own port with `increment_var: 'PORT'`, or share one port with
   * Bun.serve's `reusePort: true`.
   * @default 1
   */
  instances?: number | 'max'
  /**
   * A variable of `env` that each replica gets one higher than the last (`PORT: '3000'` gives
   * 3000, 3001, …). A `heartbeat` on the base port then checks each replica on its own port.
   * @example 'PORT'
   */
  increment_var?: string
  /**
   * The program that runs the worker; it also picks which script field is used. Not for a `cmd`
   * worker, which names its own program.
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
  /**
   * Variables of the launcher's shell that reach the worker, by name or with `*` (`'AWS_*'`). A
   * worker gets from the shell only what programs need to run (`PATH`, `HOME`, `USER`, `LANG`,
   * `LC_*`, `TZ`, `TMPDIR`, `TERM`, …), the variables your `.env` files name (the shell wins over
   * the files) and `NODE_ENV` — plus these. The listed ones count: a new value restarts the
   * worker at the next `start`; the runtime ones never do. bun-pm's own: PM2 never sees it.
   * @example ['AWS_PROFILE', 'AWS_REGION', 'SENTRY_*']
   */
  passEnv?: string[]
  /**
   * Which variables of the workspace's `.env` and `.env.local` reach this worker: all of them
   * (`true`), none (`false`), or those named, `*` matching any part. A variable the worker does not
   * receive is no reason to restart it when a `.env` file changes: give a program that needs none
   * of them (Redis, a proxy) `dotenv: false`. `NODE_ENV` always reaches it. bun-pm's own: PM2 never
   * sees it.
   * @default true
   * @example ['DATABASE_URL', 'REDIS_*']
   */
  dotenv?: boolean | string[]
  /**
   * How the worker's `heartbeat` is checked: interval, timeout, failures before a restart, start
   * grace and, without a heartbeat, how long it must stay up to be ready. bun-pm's own: PM2 never
   * sees it.
   * @default { interval: '5s', timeout: '2s', failures: 3, grace: '30s', readyAfter: '1s' }
   */
  health?: HealthOptions
  /** Each log file's size and how many rotated ones are kept; `false`: unbounded. @default { maxSize: '10M', keep: 3 } */
  logs?: LogOptions | false
  /**
   * `export --to=compose`: where the worker's port (its heartbeat's, else `PORT`) is published on
   * the host, as `'address:port'` (`'[::1]:3000'` for IPv6), a port alone (every interface, as
   * Docker reads `8080:3000`), or a list of them. Without it, a worker with an `http://`
   * heartbeat is published at its own port on 127.0.0.1 (this host only) and no other worker is;
   * `false` publishes nothing. Other containers reach a worker by its service name either way.
   * bun-pm's own: PM2 never sees it.
   * @example '0.0.0.0:8080'
   * @example ['127.0.0.1:3000', '[::1]:3000']
   */
  publish?: number | string | (number | string)[] | false
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
   * How bun-pm knows the worker is alive, and ready:
   * - `''` or absent: no check; the worker is ready once it has stayed up `options.health.readyAfter` (1 s);
   * - `'http://…'` / `'https://…'`: a GET that must answer 2xx within the timeout;
   * - `'tcp://host:port'`: a TCP connection that must open;
   * - a duration (`'500ms'`, `'10s'`, `'2m'`): the worker calls `heartbeat()` (from `bun-pm`) at least that often.
   *
   * The first success makes the worker ready (`start` returns, dependents start); after
   * `options.health.failures` (3) failures in a row it is restarted, and the output says why.
   * @example 'http://127.0.0.1:3000/health'
   * @example 'tcp://127.0.0.1:5432'
   * @example '30s'
   */
  heartbeat?: string
  /**
   * Workers that must be ready before this one starts. Selecting this worker selects them too
   * (`--no-deps` turns that off); stopping goes in the reverse order.
   * @example ['primary-db']
   */
  dependsOn?: string[]
  /**
   * Script run when the interpreter is `bun`, relative to the workspace root; `''` means none.
   * @example 'workers/webserver.ts'
   */
  bun?: string
  /**
   * Script run when the interpreter is `node`, relative to the workspace root; `''` means none.
   * @example 'dist/workers/webserver.js'
   */
  node?: string
  /**
   * Script run when the interpreter is `tsx`, relative to the workspace root; `''` means none.
   * @example 'workers/webserver.ts'
   */
  tsx?: string
  /**
   * A program to run instead of a script (Redis, a Go binary, a Procfile line). Give `cmd` or a
   * script field, never both; `options.interpreter`, `args` and `interpreter_args` do not apply.
   * - an array: the program and its arguments, run directly (no shell). The program is a path
   *   (relative to the workspace root when it holds a `/`) or a name looked up in the workspace's
   *   `node_modules/.bin` (walking up), then PATH;
   * - a string: a shell command line, run as `/bin/sh -c '<line>'`: `$PORT` expands from the
   *   worker's environment, and `A=1 prog`, pipes and `&&` work, as in a Procfile.
   * @example ['redis-server', '--port', '6380']
   * @example 'PORT=5100 npm run jobs'
   */
  cmd?: string | string[]
  /**
   * PM2 start options for this worker; merged over the workspace `defaults`.
   * @example { max_memory_restart: '200M', env: { PORT: '3000' } }
   */
  options?: WorkerOptions
}

/**
 * What a `$<env>` block of the workspace may change: its `defaults`, its `name`, and workers (by
 * `name`: options merged over the worker's; a name the workspace does not have adds a worker).
 */
export interface WorkspaceOverride {
  name?: string
  defaults?: WorkerOptions
  workers?: (Partial<Worker> & { name: string })[]
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
  /**
   * Overrides for `dev` (and `--env=development`), merged over the rest of the workspace.
   * @example { defaults: { env: { LOG_LEVEL: 'debug' } } }
   */
  $development?: WorkspaceOverride
  /**
   * Overrides for `start` (and `--env=production`).
   * @example { workers: [{ name: 'web', options: { max_memory_restart: '1G' } }] }
   */
  $production?: WorkspaceOverride
  /** Overrides for any `--env=<name>`, by name: `{ staging: { defaults: { ... } } }`. */
  $env?: Record<string, WorkspaceOverride>
  /** `$<name>` for any other `--env=<name>`. */
  [override: `$${string}`]: WorkspaceOverride | Record<string, WorkspaceOverride> | undefined
}

/**
 * Where a variable of a worker's environment came from, lowest precedence first. `runtime`: a
 * variable every program needs (PATH, HOME, …) from the launcher's shell, passed but never counted
 * as a change; `shell`: one the `.env` files name, `NODE_ENV`, or one `passEnv` lists, which counts.
 */
export type EnvSource = '.env' | '.env.local' | 'runtime' | 'shell' | 'mode' | 'defaults.env' | 'options.env' | 'bun-pm'

/** The selection flags every command takes. */
export interface Selection {
  workers?: string[]
  groups?: string[]
  /** Do not bring in what the selected workers depend on (`--no-deps`). */
  noDeps?: boolean
}

/** What PM2 is handed for one worker: its start options, always with a name and the full env. */
export type Pm2StartOptions = StartOptions & { name: string, env: Record<string, string> }

/** What the installed PM2 accepts: its option names, what it would refuse in one level of options, and its user checks (src/pm2/schema.ts gives them; config and plan take them as data). */
export interface Pm2Rules {
  names: ReadonlySet<string>
  errors?: (options: Record<string, unknown>) => string[]
  /** What PM2 checks when a worker runs as another user (`uid`/`user`/`gid`), as sentences; for the workers that run. */
  runAs?: (options: { uid?: unknown, user?: unknown, gid?: unknown }) => string[]
}
