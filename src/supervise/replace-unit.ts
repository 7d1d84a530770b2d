// Replacing one running unit by its new version, as the rollout decided: beside it (surge) or
// after it (stopped first). Either way a new version that does not become ready leaves the old
// one serving (stopped first: started again, as it was), and says why.
import type { HealthWatch, ProcessRef, Readiness } from './readiness.ts'
import type { Pm2Client } from '../pm2/client.ts'
import type { Strategy } from './rollout.ts'
import { trace } from '../trace.ts'
import type { Pm2StartOptions } from '../types/config.ts'
import type { ProcView } from '../pm2/process-view.ts'

export interface UnitOutcome {
  unit: string
  strategy: Strategy
  /** The new process, once it is ready. */
  ready?: ProcessRef
  /** Why the new version did not take over; `kept`: the old one serves (`restored`: started again after it was stopped). */
  failed?: { readiness: Readiness & { ready: false }, kept: 'running' | 'restored' | 'none' }
  /** Resolves once the old processes are gone (their drain), after a success; the caller waits for it before the next unit. */
  drained: Promise<void>
}

export interface ReplaceUnitOptions {
  client: Pm2Client
  health: HealthWatch
  unit: string
  old: ProcView[]
  options: Pm2StartOptions
  strategy: Strategy
  /** How long the new process has to become ready. */
  timeoutMs: number
  /** Told before bun-pm ends a process of the unit: its exit is asked for, not a crash. */
  expectExit: (units: string[]) => void
}

export async function replaceUnit({ client, health, unit, old, options, strategy, timeoutMs, expectExit }: ReplaceUnitOptions): Promise<UnitOutcome> {
  const done = Promise.resolve()
  const gone = (procs: ProcView[]) => Promise.all(procs.map(proc => client.delete(proc.pmId).catch(() => {}))).then(() => trace(`${unit}: old process gone`))
  if (strategy.kind === 'stop-first') {
    expectExit([unit])
    await Promise.all(old.map(proc => client.stop(proc.pmId).catch(() => {})))
  }
  const [spawned] = await client.spawn([options])
  if (!spawned || 'error' in spawned) {
    const detail = spawned && 'error' in spawned ? spawned.error.message : 'PM2 started nothing'
    return { unit, strategy, failed: { readiness: { ready: false, why: 'refused', detail, unit }, kept: await keep(old, strategy) }, drained: done }
  }
  const ref = { pmId: spawned.pmId, uniqueId: spawned.uniqueId }
  trace(`${unit}: new process ${ref.pmId} spawned`)
  const readiness = await health.untilProcesses([ref], Date.now() + timeoutMs, { failOnExit: true })
  trace(`${unit}: new process ${readiness.ready ? 'ready' : 'not ready'}`)
  if (!readiness.ready) {
    expectExit([unit])
    await client.delete(ref.pmId).catch(() => {})
    return { unit, strategy, failed: { readiness, kept: await keep(old, strategy) }, drained: done }
  }
  // The new one serves: the old one drains (SIGTERM, SIGKILL after its kill_timeout).
  expectExit([unit])
  return { unit, strategy, ready: ref, drained: gone(old) }

  /**
   * The old version, serving again: it never stopped (surge), or it is started again as it was
   * and is ready again (its new run's check passed) before the deploy says so.
   */
  async function keep(procs: ProcView[], { kind }: Strategy): Promise<'running' | 'restored' | 'none'> {
    if (procs.length === 0)
      return 'none'
    if (kind === 'surge')
      return 'running'
    // PM2 starts a stopped process again with what it was started with: the old version, whole.
    const startedAfter = Date.now()
    const restarted = await Promise.all(procs.map(proc => client.restart(proc.pmId).then(() => true, () => false)))
    if (!restarted.every(Boolean))
      return 'none'
    const again = await health.untilProcesses(procs.map(proc => ({ pmId: proc.pmId, uniqueId: proc.uniqueId })), Date.now() + timeoutMs, { startedAfter })
    return again.ready ? 'restored' : 'none'
  }
}
