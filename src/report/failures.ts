// Why a worker is not ready, in words: from how its wait ended, with the usual cause its last
// lines show. Pure.
import { formatMs } from '../model/heartbeat.ts'
import { unitsOfProcesses } from '../model/units.ts'
import type { Readiness, WorkerHealth } from '../supervise/readiness.ts'
import type { Failure } from '../types/json.ts'
import { describeRollback } from './changes.ts'
import type { ProcView } from '../pm2/process-view.ts'
import { bunPm } from '../invocation.ts'

/** What a failure prints: its one line, then its last lines under the worker's name. */
export function failureLines({ name, reason, lastLines, kept }: Failure): string[] {
  return [kept ? `error: ${describeRollback(name, kept, reason)}` : `error: worker "${name}" is not ready: ${reason}`, ...lastLines.map(line => `  ${name} | ${line}`)]
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
  if (!readiness.ready && readiness.why === 'broken')
    return `it answered its check with errors only (${readiness.state?.errorAnswers ?? 'several'} in a row, last: ${readiness.state?.lastCheck ?? 'an error'}); a new version that serves errors is not waited for (answer 503 while it warms up)`
  if (!readiness.ready && readiness.why === 'agent')
    return `the health agent that judges it is not running (see its lines in \`${bunPm('logs')}\`)`
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

/** The usual causes, named when the output shows them. */
export function diagnose(lines: string[]): string {
  const text = lines.join('\n')
  if (/EADDRINUSE|address already in use|port \d+ in use/i.test(text))
    return ' (port in use)'
  if (/Cannot find module|Module not found|ENOENT/i.test(text))
    return ' (missing file)'
  return ''
}
