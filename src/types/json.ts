// What `--json` prints, per command: the stable interface for scripts. Exported from the
// package entry; a field is added, never renamed or removed, without a major version.
import type { EnvSource, Interpreter, Mode, StartOptions } from './config.ts'
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
    interpreter: Interpreter
    interpreterPath: string
    script: string
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
