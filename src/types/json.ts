// What `--json` prints, per command: the stable interface for scripts. Exported from the
// package entry; a field is added, never renamed or removed, without a major version.
import type { Failure } from '../start/failures.ts'
import type { StatusRow } from '../report/status-table.ts'
import type { planToJson } from '../report/plan.ts'

export type { Failure, StatusRow }

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
  pm2Home: string
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

/** `explain --json`. */
export type ExplainJson = ReturnType<typeof planToJson>

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

