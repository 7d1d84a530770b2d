// One look at one process, each tick: its age (readiness without a heartbeat, a stable run), a
// push heartbeat's missed period, or an http/tcp probe whose answer counts only when the
// process itself gave it.
import { formatMs, heartbeatPort } from '../model/heartbeat.ts'
import type { LifecycleEvent } from '../model/lifecycle.ts'
import { isAlive } from '../os/processes.ts'
import { whoAnswered } from '../os/sockets.ts'
import { attributeAnswer } from './attribute.ts'
import { probe } from './probe.ts'
import { missedBeat, nextProbeAt } from './schedule.ts'
import type { Tracked } from './tracked.ts'

export interface CheckDeps {
  dispatch: (t: Tracked, event: LifecycleEvent) => void
  /** The live pids of the worker's other processes: they may answer on a port they share. */
  siblingPids: (t: Tracked) => number[]
  /** Run the loop again at once (a probe to repeat now). */
  runSoon: () => void
  closed: () => boolean
  now: () => number
}

export function createCheck({ dispatch, siblingPids, runSoon, closed, now }: CheckDeps): (t: Tracked, at: number) => void {
  return (t, at) => {
    const { state } = t
    const { policy } = t.id
    if (!state.running || state.halted || state.pending)
      return
    const { heartbeat } = policy
    const missed = heartbeat.kind === 'push' ? missedBeat(at, { lastBeatAt: t.lastBeatAt, judgedAt: t.pushJudgedAt, since: t.state.since }, heartbeat.everyMs) : undefined
    const probeDue = heartbeat.kind !== 'none' && heartbeat.kind !== 'push' && !t.probing && at >= t.nextProbeAt
    // Nothing to look at this tick (the loop runs every 25 ms while any worker starts, for all of
    // them): no look at /proc either. A tick changes a run only while it is not ready without a
    // heartbeat, or after crashes (the streak ends once it is stable): see the lifecycle's 'tick'.
    if (missed === undefined && !probeDue && !tickMatters(state, policy, at))
      return
    // A run whose process is gone proves nothing by its age: no tick, no probe. (Its exit event,
    // or PM2's listing when there is none, says what happened.)
    if (!(state.pid !== null && state.pid > 0 && isAlive(state.pid)))
      return
    dispatch(t, { type: 'tick', at })
    if (missed !== undefined) {
      t.pushJudgedAt = at
      dispatch(t, { type: 'check', at, ok: false, detail: `no heartbeat() for ${formatMs(missed)}` })
    }
    else if (probeDue) {
      t.probing = true
      const pid = state.pid
      const port = heartbeatPort(heartbeat)!
      // Whose answer it is, read while the connection is open: only the process's own counts.
      // Once this run has answered for itself on a port it shares with no sibling, the port is its
      // own until it exits: no need to ask again at every check.
      const siblings = siblingPids(t)
      const attribute = siblings.length > 0 || t.ownAnswerPid !== pid
      void probe(heartbeat, policy.timeoutMs, attribute ? ends => whoAnswered(pid, port, ends, siblings) : undefined).then((result) => {
        t.probing = false
        // The answer of a process that is gone since says nothing about the new one.
        if (t.state.pid !== pid || closed())
          return
        const done = now()
        const verdict = attributeAnswer(result, t.id.unit, port, t.closedAnswers)
        t.siblingAnswers = verdict === undefined ? t.siblingAnswers + 1 : 0
        t.closedAnswers = verdict === undefined ? t.closedAnswers + (result.answer?.kind === 'closed' ? 1 : 0) : 0
        if (result.answer?.kind === 'ours')
          t.ownAnswerPid = pid
        t.nextProbeAt = nextProbeAt(done, t.state, policy, verdict !== undefined, t.siblingAnswers)
        if (verdict)
          dispatch(t, { type: 'check', at: done, ok: verdict.ok, detail: verdict.detail, ...(verdict.status !== undefined && { status: verdict.status }) })
        else if (t.nextProbeAt <= done)
          runSoon()
      })
    }
  }
}

/** Whether a 'tick' at `at` can change a run: readiness by lasting (no heartbeat), or a crash streak that ends (up min_uptime). */
function tickMatters(state: Tracked['state'], policy: Tracked['id']['policy'], at: number): boolean {
  return (policy.heartbeat.kind === 'none' && policy.autorestart && !state.passed)
    || (state.streak > 0 && state.since !== null && at - state.since >= policy.minUptimeMs)
}
