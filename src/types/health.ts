// The data of health: a heartbeat parsed, the policy a worker is judged by, the lifecycle's
// state (it goes to the agent's state file and back) and what the agent says. Types only.

/**
 * The `heartbeat` grammar of a worker, parsed. One small language, so that a config says in one
 * string how bun-pm knows the worker is alive:
 * - `''` or absent: no check;
 * - `http://…` / `https://…`: healthy while a GET answers 2xx within the timeout;
 * - `tcp://host:port`: healthy while a TCP connection opens;
 * - a duration (`'500ms'`, `'10s'`, `'2m'`): the worker calls `heartbeat()` at least that often.
 */
export type Heartbeat =
  | { kind: 'none' }
  | { kind: 'http', url: string }
  | { kind: 'tcp', host: string, port: number }
  | { kind: 'push', everyMs: number }

/** Everything that decides a worker's health, in milliseconds and counts. */
export interface HealthPolicy {
  heartbeat: Heartbeat
  /** Between two http/tcp checks once the worker is ready. */
  intervalMs: number
  /** One http/tcp check that takes longer has failed. */
  timeoutMs: number
  /** Failed checks in a row (missed heartbeat periods, for push) that restart the worker. */
  failures: number
  /** After a (re)start, failures do not count until this has passed or the first check passed. */
  graceMs: number
  /** Without a heartbeat, a run this long makes the worker ready. */
  readyAfterMs: number
  /** Crashes in a row, each ending a run shorter than `minUptimeMs`, after which the worker is stopped as errored. */
  maxRestarts: number
  minUptimeMs: number
  /** Whether PM2 restarts the worker after it exits by itself. */
  autorestart: boolean
  /** Exit codes after which PM2 does not restart it. */
  stopExitCodes: number[]
}

/**
 * What bun-pm says of a worker:
 * - `none`: not running (stopped, exited, never started);
 * - `starting`: running, no check passed yet in this run;
 * - `ready`: its last check passed (or, without a heartbeat, it has stayed up long enough);
 * - `unhealthy`: ready before, but its last check failed;
 * - `crash-looping`: crashed twice or more in a row, each run shorter than `min_uptime`;
 * - `errored`: stopped for crashing `max_restarts` times in a row, or failed at startup and waits for an edit.
 */
export type Health = 'none' | 'starting' | 'ready' | 'unhealthy' | 'crash-looping' | 'errored'

/** One worker as the lifecycle sees it. Plain data: it goes to the state file and back. */
export interface WorkerState {
  running: boolean
  pid: number | null
  /** When the current (or last) run started, ms since the epoch. */
  since: number | null
  /** A check passed in this run. */
  passed: boolean
  /** Failed checks in a row in this run. */
  failures: number
  /**
   * Before its first pass: checks in a row that the worker answered with an error (HTTP 4xx/5xx
   * but 429 and 503, which say "not yet"), and when the first of them came. A new version in a
   * deploy that answers so is broken, not slow (see `isBroken`).
   */
  errorAnswers: number
  errorSince: number | null
  lastOkAt: number | null
  /** What the last check found, passed or not. */
  lastCheck: string | null
  /** Crashes in a row, each ending a run shorter than min_uptime. */
  streak: number
  /** Why it last restarted, stopped or failed. */
  reason: string | null
  /** `errored`: stopped for a crash loop; `failed`: threw at startup and waits for an edit (dev). */
  halted: 'errored' | 'failed' | null
  /** bun-pm asked PM2 to restart or stop it; checks wait for the next run. */
  pending: boolean
  /** The code of an exit PM2 does not restart after (autorestart off, a stop_exit_code): the run is over. */
  exitCode: number | null
  /** When any of the above last changed. */
  changedAt: number
}

/** `done`: a run PM2 does not restart ended with exit 0 (a one-shot job finished); `exited`: it ended otherwise. */
export type NoteKind = 'ready' | 'done' | 'exited' | 'unhealthy' | 'recovered' | 'restart' | 'crash-loop' | 'stable' | 'errored' | 'failed'

/** Something the monitor said about a worker, for a terminal (dev, `start --attach`). */
export interface Note {
  /** The unit: the worker's name, or `web#1` for one of its replicas. */
  name: string
  kind: NoteKind
  text: string
  /** For a restart: why, so the "restarted" line can say it. */
  reason?: string
}
