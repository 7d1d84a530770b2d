// What `--json` prints, per command: the stable interface for scripts. Exported from the
// package entry; a field is added, never renamed or removed, without a major version.
import type { EnvSource, Mode, RunsUnder, StartOptions } from './config.ts'
import type { Health, HealthPolicy } from './health.ts'

/** The workspace's health agent, as `status --json` shows it. */
export interface AgentJson {
  /** `<namespace>:health` */
  name: string
  running: boolean
  pid: number | null
  memoryMb: number | null
}

/** `status --json`, `stop --json`, `restart --json`. */
export interface StatusJson {
  namespace: string
  /** The PM2 home of the daemon shown: `start`'s, or the dev session's private one. */
  pm2Home: string
  /** Which daemon is shown: `start`'s, or (when `start`'s does not run the workspace, or with `--dev`) the workspace's `dev` session. */
  daemon: 'start' | 'dev'
  /** The `dev` session shown (the pid of its `dev` process), or null. */
  devSession: { pid: number } | null
  agent: AgentJson
  workers: StatusRow[]
}

/** `start --json`. */
export interface StartJson {
  namespace: string
  pm2Home: string
  started: string[]
  /** Ran with other options, or was not up: started anew. */
  replaced: string[]
  /** Ran with exactly the wanted options: left alone. */
  kept: string[]
  /** No longer in the config, or deactivated: deleted. */
  removed: string[]
  /** Replicated workers whose count alone changed: only the difference was started or removed. */
  scaled: { name: string, from: number, to: number }[]
  /** Meant to start, but not started: a dependency did not become ready (each is in `failures`). */
  notStarted: string[]
  /** How each replaced worker was replaced: `surge` (its new version beside the old, unit by unit) or `stop-first`, and why. */
  rollouts: { name: string, kind: 'surge' | 'stop-first', why: string }[]
  /** Meant to be replaced, but the new version did not become ready: the running one serves on (each is in `failures`, with `kept`). */
  rolledBack: string[]
  /** Selected because a selected worker depends on them. */
  added: { name: string, neededBy: string[] }[]
  /** From the command's start until every worker was ready; null when one was not. */
  readyInMs: number | null
  workers: StatusRow[]
  /** The workers that did not become ready, why, and their last lines. */
  failures: Failure[]
}

/** `explain --json`: the plan, everything PM2 is handed, with environment values masked. */
export interface ExplainJson {
  root: string
  configFile: string
  namespace: string
  mode: Mode
  /** The environment whose `$<env>` overrides applied. */
  env: string
  /** Workers selected because a selected one depends on them. */
  added: { name: string, neededBy: string[] }[]
  workers: {
    name: string
    group: string
    heartbeat?: string
    dependsOn: string[]
    /** How its health is judged, and `check`: the check in words (`GET /health`, `up 1 s`, `exit 0`). */
    health: HealthPolicy & { check: string }
    /** Its interpreter, or `cmd` for a worker that runs a program of its own. */
    interpreter: RunsUnder
    /** The interpreter's absolute path (a cmd worker's: its program's). */
    interpreterPath: string
    script: string
    /** A cmd worker's command as PM2 runs it: the program's absolute path, then its arguments. */
    command?: string[]
    /** The start options PM2 is handed, but its env. */
    options: Omit<StartOptions, 'env'>
    /** Each variable, masked (`***`) but for NODE_ENV and bun-pm's own, with where it came from. */
    env: Record<string, { value: string, source: EnvSource }>
    /** The launcher's shell variables no rule passes to this worker (names only). */
    shellLeftOut: string[]
  }[]
  notSelected: { name: string, group: string, reason: 'not selected' | 'deactivated' }[]
}

/** `start --dry-run --json`: what a start would do, having done nothing. */
export interface DryRunJson {
  dryRun: true
  namespace: string
  pm2Home: string
  /** Whether a daemon runs for that home (none: every worker would start, and a daemon with them). */
  daemonRunning: boolean
  workers: {
    name: string
    action: 'keep' | 'start' | 'replace' | 'scale' | 'remove'
    /** For a replacement: beside the old version (`surge`) or after it (`stop-first`), and why. */
    strategy?: { kind: 'surge' | 'stop-first', why: string }
    /** Why, in words: the parts that changed (values masked), or why it starts, goes, or stays. */
    why: string
    /** The parts of the version that changed: option names and `env.NAME`s. */
    changes?: string[]
  }[]
}

/** A selected worker that did not become ready, said for a person. */
export interface Failure {
  name: string
  reason: string
  lastLines: string[]
  /**
   * Set when the failure is a new version's that was to replace a running one: whether the
   * running version still serves (`running`), was started again (`restored`), or not (`none`).
   */
  kept?: 'running' | 'restored' | 'none'
}

export interface StatusRow {
  /** The worker's name, or `web#1` for one of its replicas. */
  name: string
  /** The worker it belongs to, and its replica index (0 for a worker of one process). */
  worker: string
  instance: number
  group: string
  pid: number | null
  /** PM2's word: online, stopped, errored, waiting restart, ... or `not running`. */
  status: string
  /** bun-pm's word; `unknown` when no health agent is there to judge. */
  health: Health | 'unknown'
  /** Why it last restarted, stopped or failed. */
  reason: string | null
  /** What its last check found (`GET /health -> 500`), while it runs. */
  lastCheck: string | null
  /** How long ago its last check passed. */
  lastOkAgoMs: number | null
  memoryMb: number | null
  cpu: number | null
  restarts: number
  uptimeMs: number | null
  interpreter: string
}

/**
 * `export --json`: the files export wrote (with `--out`) or would write (without it: nothing is
 * written, and each file's content is here but a secret one's), and its notes.
 */
export interface ExportJson {
  target: 'compose' | 'kubernetes' | 'systemd' | 'pm2'
  /** The folder the files were written to (absolute); null without `--out`: nothing was written. */
  out: string | null
  files: {
    /** Relative to `out`. */
    path: string
    /** Holds values of the `.env` files: written 0600, its content never printed. */
    secret: boolean
    /** Without `--out`, the file's text (never for a secret one). */
    content?: string
  }[]
  /** What did not carry over, or needs a hand, per worker (`web: …`): the `note:` lines of the text output. */
  notes: string[]
}

/** `init --json`: the files init wrote or kept, and what a conversion (`--from`) could not carry over. */
export interface InitJson {
  files: { path: string, action: 'wrote' | 'kept' }[]
  /** The `not carried over:` lines of the text output (empty without `--from`). */
  dropped: string[]
  /** The `changed:` lines of the text output: what was carried over but runs differently (empty without `--from`). */
  changed: string[]
}

/** A worker's line of output, as `logs --json` and `dev --json` print it (one a line). */
export interface LogLineJson {
  /** When it was written (ISO 8601); null for a line `logs` found without a time. */
  time: string | null
  worker: string
  /** The worker's name, or `web#1` for one of its replicas. */
  unit: string
  stream: 'out' | 'err'
  text: string
}

/**
 * What a `dev --json` line of bun-pm's own says happened:
 * - `started`, `restarted` (and why), `reloaded` (bun --watch, same pid), `stopped` (asked for),
 *   `exited` (by itself: `reason` is `code 1` or the signal);
 * - the health agent's word: `ready`, `done` (a one-shot job exited 0), `unhealthy`, `recovered`,
 *   `crash-loop`, `stable`, `errored` (stopped for crashing), `failed` (threw at startup);
 * - `up`: the summary once every worker of an applied config is ready or known not to be;
 * - `message`: any other line of bun-pm's (config changed, stopping, a config error, …).
 */
export type DevEvent = 'started' | 'restarted' | 'reloaded' | 'stopped' | 'exited' | 'ready' | 'done' | 'unhealthy' | 'recovered' | 'crash-loop' | 'stable' | 'errored' | 'failed' | 'up' | 'message'

/** A line of bun-pm's own in `dev --json`. */
export interface DevEventJson {
  /** ISO 8601. */
  time: string
  event: DevEvent
  /** The worker and its unit (`web`, `web#1`), for an event of one. */
  worker?: string
  unit?: string
  pid?: number
  /** Why it restarted, how it exited (`code 1`, `SIGKILL`). */
  reason?: string
  /** The line as the text output prints it. */
  text: string
  /** `errored`, `exited`: the worker's last lines of output, newest last. */
  lastLines?: string[]
}

/** `dev --json`: one object a line, bun-pm's (`event`) and the workers' (`stream`). */
export type DevJsonLine = DevEventJson | LogLineJson
