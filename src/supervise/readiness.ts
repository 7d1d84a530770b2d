// The launcher's side of the health agent: follows its word on PM2's bus (from its state file on)
// and answers "is this process ready?" for start, restart, dev and --attach.
import { agentName, isAgentName } from '../model/agent-spec.ts'
import { isBroken } from '../model/lifecycle.ts'
import type { Note } from '../types/health.ts'
import type { AgentSpec, AgentWord, HealthSnapshot, ProcessHealth } from '../types/agent.ts'
import type { Pm2Bus } from '../pm2/process-view.ts'

export type WorkerHealth = ProcessHealth

/**
 * How a wait ended; `unit` is the one (`web#1`) that decided it. `crashed`: it exited before it
 * was ever ready; `refused`: PM2 would not start it (`detail` says why).
 */
export type Readiness =
  | { ready: true, state: WorkerHealth }
  | { ready: false, state?: WorkerHealth, why: 'errored' | 'exited' | 'crashed' | 'broken' | 'timeout' | 'agent' | 'refused', unit?: string, detail?: string }

/** A process by PM2 id and PM2's unique id (an id is reused once PM2's table empties; the unique id is not). */
export interface ProcessRef {
  pmId: number
  uniqueId: string
}

export interface HealthWatch {
  /**
   * Resolves once every one of `processes` is ready (a one-shot job's exit 0 counts), once one is
   * errored or exited for good, or when `deadline` (ms since the epoch) passes. `failOnExit`:
   * a process that exits before it was ever ready, or answers its check with errors only (see
   * `isBroken`), fails at once (a new version in a deploy), rather than be given its restarts.
   * `startedAfter`: only a run that began then or later counts (a process started again under
   * its id, whose last word is still of the run before).
   */
  untilProcesses: (processes: ProcessRef[], deadline: number, options?: { failOnExit?: boolean, startedAfter?: number }) => Promise<Readiness>
  /** The same for the processes that run `name`'s units now (a worker left as it was). */
  untilWorker: (name: string, deadline: number) => Promise<Readiness>
  /** The spec the agent said last it judges by (from its state file until it speaks). */
  spec: () => AgentSpec | undefined
  /** What the agent said last of every process it judges, by PM2 id. */
  processes: () => Readonly<Record<string, WorkerHealth>>
  /** Resolves true once the agent says it judges by a spec of `revision` or newer; false at `deadline`. */
  specInForce: (revision: number, deadline: number) => Promise<boolean>
  /** Every note the agent sends from now on. */
  onNotes: (listener: (notes: Note[]) => void) => void
  /** Resolves true once an agent that started after `since` has said it listens; false at `deadline`. */
  agentListening: (since: number, deadline: number) => Promise<boolean>
  /**
   * A new agent replaces the ones with these pids: what they said is forgotten, and a late word
   * of theirs ignored, so that no worker is judged ready on a state the new agent has not confirmed.
   */
  replaceAgent: (oldPids: number[]) => void
}

/**
 * The process that runs each unit of `worker` now, among the agent's: a running one before one
 * that is not, then the newer run (during a deploy, the new version once it runs). Pure.
 */
export function currentOfUnits(processes: Record<string, WorkerHealth>, worker: string): Map<string, WorkerHealth> {
  return currentAmong(Object.values(processes).filter(state => state.worker === worker))
}

/** The agent's processes by worker, each worker's in the agent's order: one pass, for what asks of every worker (200 workers: 200 passes over 200 otherwise, at every word of the agent). Pure. */
export function processesByWorker(processes: Record<string, WorkerHealth>): Map<string, WorkerHealth[]> {
  const byWorker = new Map<string, WorkerHealth[]>()
  for (const state of Object.values(processes))
    (byWorker.get(state.worker) ?? byWorker.set(state.worker, []).get(state.worker)!).push(state)
  return byWorker
}

/** `currentOfUnits` of one worker's processes. Pure. */
export function currentAmong(states: readonly WorkerHealth[]): Map<string, WorkerHealth> {
  const best = new Map<string, WorkerHealth>()
  for (const state of states) {
    const held = best.get(state.unit)
    const rank = (s: WorkerHealth) => (s.running ? 1e15 : 0) + (s.since ?? 0)
    if (!held || rank(state) > rank(held))
      best.set(state.unit, state)
  }
  return best
}

/** How one process's wait ends, from the agent's word on it; undefined while it goes on. Pure. */
export function judgeProcess(state: WorkerHealth | undefined, failOnExit: boolean): Readiness | undefined {
  if (!state)
    return undefined
  if (state.health === 'ready')
    return { ready: true, state }
  if (state.health === 'errored')
    return { ready: false, state, why: 'errored', unit: state.unit }
  if (state.health === 'none' && state.exitCode !== null)
    return state.exitCode === 0 ? { ready: true, state } : { ready: false, state, why: 'exited', unit: state.unit }
  if (failOnExit && !state.running && state.since !== null && !state.passed)
    return { ready: false, state, why: 'crashed', unit: state.unit }
  if (failOnExit && state.running && isBroken(state, state.changedAt))
    return { ready: false, state, why: 'broken', unit: state.unit }
  return undefined
}

/**
 * Follows a namespace's health agent on PM2's bus, starting from its state file: readiness for
 * `start` and `dev`, and its notes for a terminal.
 */
export function watchHealth(bus: Pm2Bus, namespace: string | undefined, initial?: HealthSnapshot): HealthWatch {
  let processes: Record<string, WorkerHealth> = { ...initial?.processes }
  let spec: AgentSpec | undefined = initial?.spec
  let specRevision = initial?.spec?.revision ?? 0
  let agentFailure: string | undefined
  /** When an agent last said it had just started listening. */
  let helloAt = 0
  const waiters = new Set<() => void>()
  const replaced = new Set<number>()
  const listeners: ((notes: Note[]) => void)[] = []
  const wake = () => waiters.forEach(waiter => waiter())
  // `processes` by worker, made again only once the agent has said something new.
  let grouped: { of: Record<string, WorkerHealth>, byWorker: Map<string, WorkerHealth[]> } | undefined
  const byWorker = () => (grouped?.of === processes ? grouped : (grouped = { of: processes, byWorker: processesByWorker(processes) })).byWorker
  // dev's daemon is the session's own: any agent in it is ours, whatever the namespace became.
  const isOurAgent = (name: string, ns?: string) => namespace === undefined ? isAgentName(name) : name === agentName(namespace) && ns === namespace
  bus.on('process:msg', (packet) => {
    const data = packet.data as Partial<AgentWord> | undefined
    if (!isOurAgent(packet.process.name, packet.process.namespace) || data?.['bun-pm'] !== 'health' || replaced.has(data.agent ?? 0))
      return
    processes = data.processes ?? processes
    specRevision = data.specRevision ?? specRevision
    agentFailure = undefined
    if (data.hello)
      helloAt = Date.now()
    for (const listener of listeners)
      listener(data.notes ?? [])
    wake()
  })
  bus.on('process:event', (packet) => {
    if (isOurAgent(packet.process.name, packet.process.namespace) && packet.event === 'restart overlimit') {
      agentFailure = 'the health agent crashed and PM2 gave up on it'
      wake()
    }
  })

  /** Resolves with `decide`'s first answer, asked again at every word of the agent and at `deadline`. */
  const settle = <T>(deadline: number, decide: () => T | undefined): Promise<T> => new Promise((resolve) => {
    const judge = () => {
      const answer = decide()
      if (answer === undefined)
        return
      clearTimeout(timer)
      waiters.delete(judge)
      resolve(answer)
    }
    const timer = setTimeout(judge, Math.max(0, deadline - Date.now()) + 5)
    waiters.add(judge)
    judge()
  })

  /** The first failure among `states`, else ready when all are, else the end of the wait (agent gone, deadline) or undefined. */
  const decide = (states: (WorkerHealth | undefined)[], deadline: number, failOnExit: boolean): Readiness | undefined => {
    const answers = states.map(state => judgeProcess(state, failOnExit))
    const failed = answers.find(answer => answer !== undefined && !answer.ready)
    if (failed)
      return failed
    if (states.length > 0 && answers.every(answer => answer?.ready))
      return answers[0]!
    const waiting = states.find((state, i) => answers[i] === undefined)
    if (agentFailure)
      return { ready: false, state: waiting, why: 'agent', unit: waiting?.unit }
    if (Date.now() >= deadline)
      return { ready: false, state: waiting, why: 'timeout', unit: waiting?.unit }
    return undefined
  }
  /** What the agent says of a process, only once it speaks of that very one (not an earlier process under its id). */
  const stateOf = ({ pmId, uniqueId }: ProcessRef, startedAfter = 0) => {
    const state = processes[String(pmId)]
    return state && (state.uniqueId === uniqueId || !uniqueId) && (state.since ?? 0) >= startedAfter ? state : undefined
  }

  return {
    untilProcesses: (refs, deadline, { failOnExit = false, startedAfter } = {}) => settle<Readiness>(deadline, () => decide(refs.map(ref => stateOf(ref, startedAfter)), deadline, failOnExit)),
    untilWorker: (name, deadline) => settle<Readiness>(deadline, () => decide([...currentAmong(byWorker().get(name) ?? []).values()], deadline, false)),
    spec: () => spec,
    processes: () => processes,
    specInForce: (revision, deadline) => settle(deadline, () =>
      specRevision >= revision ? true : agentFailure || Date.now() >= deadline ? false : undefined),
    onNotes: listener => void listeners.push(listener),
    replaceAgent: (oldPids) => {
      oldPids.forEach(pid => replaced.add(pid))
      processes = {}
      spec = undefined
      specRevision = 0
    },
    agentListening: (since, deadline) => settle(deadline, () =>
      helloAt >= since ? true : agentFailure || Date.now() >= deadline ? false : undefined),
  }
}
