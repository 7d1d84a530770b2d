import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { formatMs } from '../model/heartbeat.ts'
import type { Readiness, WorkerHealth } from '../supervise/readiness.ts'
import type { ProcView } from '../pm2/client.ts'
import { unitsOfProcesses } from '../model/units.ts'
import { describeRollback } from '../report/changes.ts'

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

/** Why a worker is not ready, from how its wait ended (which replica, when one of several decided it). */
export function notReadyReason(readiness: Readiness, timeoutMs: number): string {
  const unit = !readiness.ready && readiness.unit?.includes('#') ? `${readiness.unit}: ` : ''
  return unit + reasonOf(readiness, timeoutMs)
}

function reasonOf(readiness: Readiness, timeoutMs: number): string {
  const state = readiness.ready ? undefined : readiness.state
  if (!readiness.ready && readiness.why === 'exited')
    return `it exited and PM2 does not restart it (${readiness.state?.reason ?? 'exit'})`
  if (!readiness.ready && readiness.why === 'refused')
    return `PM2 would not start it: ${readiness.detail ?? 'no reason given'}`
  if (!readiness.ready && readiness.why === 'crashed')
    return `it exited before it was ready (${readiness.state?.reason ?? 'an exit'})`
  if (!readiness.ready && readiness.why === 'agent')
    return 'the health agent that judges it is not running (see its lines in `bun-pm logs`)'
  if (!state)
    return `no word on it from the health agent within ${formatMs(timeoutMs)}`
  return describeState(state, timeoutMs)
}

function describeState(state: WorkerHealth, timeoutMs: number): string {
  switch (state.health) {
    case 'errored': return `errored: ${state.reason ?? 'PM2 gave up on it'}`
    case 'crash-looping': return `crash-looping: ${state.streak} crashes in a row (last: ${state.reason ?? 'an exit'})`
    case 'starting': return `not ready within ${formatMs(timeoutMs)}: ${state.lastCheck ?? `no ${state.check} yet`}`
    case 'unhealthy': return `unhealthy: ${state.lastCheck ?? 'its check fails'}`
    case 'none': return `not running${state.reason ? ` (${state.reason})` : ''}`
    case 'ready': return 'ready'
  }
}

/** A worker that was not started because what it depends on did not become ready. */
export function blockedReason(dependency: string, readiness: Readiness, timeoutMs: number): string {
  return `not started: it depends on "${dependency}", which is not ready (${readiness.ready ? 'ready' : notReadyReason(readiness, timeoutMs)})`
}

/** The process of `name` in `namespace` whose lines tell a failure: the replica that decided it (`unit`), else the first. */
export function failingProcess(procs: ProcView[], namespace: string, name: string, readiness?: Readiness): ProcView | undefined {
  const mine = procs.filter(p => p.namespace === namespace && p.name === name)
  const unit = readiness && !readiness.ready ? readiness.unit : undefined
  const units = unitsOfProcesses(mine)
  return mine[units.indexOf(unit ?? '')] ?? mine[0]
}

/** Where each log file ended when a command began: its failures show the lines written after, this run's alone. */
export type LogMarks = ReadonlyMap<string, number>

/**
 * The end of every log file a run may write: PM2's own folder (`<home>/logs`, where a worker's
 * file outlives its process) and the files workers name themselves (`out_file`, `error_file`,
 * `log_file`, relative to their `cwd`).
 */
export function markLogs(home: string, options: { cwd?: string, out_file?: string, error_file?: string, log_file?: string }[]): LogMarks {
  const marks = new Map<string, number>()
  const mark = (path: string) => {
    try {
      marks.set(path, statSync(path).size)
    }
    catch {}
  }
  let files: string[] = []
  try {
    files = readdirSync(join(home, 'logs'))
  }
  catch {}
  files.forEach(file => mark(join(home, 'logs', file)))
  for (const o of options) {
    for (const file of [o.out_file, o.error_file, o.log_file]) {
      if (typeof file === 'string' && file !== '/dev/null')
        mark(resolve(o.cwd ?? '.', file))
    }
  }
  return marks
}

/** The failure of `name` with its last lines of output (written after `marks`, when given) and, where they show it, the usual cause. */
export function toFailure(name: string, reason: string, proc: ProcView | undefined, marks?: LogMarks): Failure {
  const from = (path: string | undefined) => path === undefined ? 0 : marks?.get(path) ?? 0
  const lastLines = proc ? [...tail(proc.outLog, 5, from(proc.outLog)), ...tail(proc.errLog, 10, from(proc.errLog))] : []
  return { name, reason: `${reason}${diagnose(lastLines)}`, lastLines }
}

/** The usual causes, named when the output shows them. */
function diagnose(lines: string[]): string {
  const text = lines.join('\n')
  if (/EADDRINUSE|address already in use|port \d+ in use/i.test(text))
    return ' (port in use)'
  if (/Cannot find module|Module not found|ENOENT/i.test(text))
    return ' (missing file)'
  return ''
}

export function printFailures(failures: Failure[]): void {
  for (const { name, reason, lastLines, kept } of failures) {
    console.error(kept ? `error: ${describeRollback(name, kept, reason)}` : `error: worker "${name}" is not ready: ${reason}`)
    for (const line of lastLines)
      console.error(`  ${name} | ${line}`)
  }
}

/**
 * The last `count` lines of a log file written after byte `from` (reading at most its last 64 KB).
 * A file now shorter than `from` was rotated or truncated: all of it is new.
 */
export function tail(path: string | undefined, count: number, from = 0): string[] {
  if (!path || !existsSync(path))
    return []
  const size = statSync(path).size
  const start = Math.max(size >= from ? from : 0, size - 64 * 1024)
  const length = size - start
  if (length <= 0)
    return []
  const buffer = Buffer.alloc(length)
  const fd = openSync(path, 'r')
  readSync(fd, buffer, 0, length, start)
  closeSync(fd)
  return buffer.toString('utf8').split('\n').filter(Boolean).slice(-count)
}
