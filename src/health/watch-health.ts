import type { Pm2Bus } from '../pm2/client.ts'
import { workerOf } from '../workspace/replicas.ts'
import { agentName, type AgentWord, isAgentName } from './agent-spec.ts'
import type { Note } from './monitor.ts'
import type { HealthSnapshot } from './state-file.ts'

export type WorkerHealth = HealthSnapshot['workers'][string]

/** How a wait for one worker ended; for replicas, `unit` is the one (`web#1`) that decided it. */
export type Readiness =
  | { ready: true, state: WorkerHealth }
  | { ready: false, state?: WorkerHealth, why: 'errored' | 'exited' | 'timeout' | 'agent', unit?: string }

export interface HealthWatch {
  /** The latest word of the agent on a unit (`web`, `web#1`). */
  get: (unit: string) => WorkerHealth | undefined
  /**
   * Resolves once `name` (every replica of it) is ready in a run that started at `after` or later, once such a run is
   * errored or has exited for good (exit code 0 counts as ready: a one-shot job that finished),
   * or when `deadline` (ms since the epoch) passes.
   */
  until: (name: string, after: number, deadline: number) => Promise<Readiness>
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
 * Follows a namespace's health agent on PM2's bus, starting from its state file: readiness for
 * `start` and `dev`, and its notes for a terminal.
 */
export function watchHealth(bus: Pm2Bus, namespace: string | undefined, initial?: HealthSnapshot): HealthWatch {
  let workers: Record<string, WorkerHealth> = { ...initial?.workers }
  let agentFailure: string | undefined
  /** When an agent last said it had just started listening. */
  let helloAt = 0
  const waiters = new Set<() => void>()
  const replaced = new Set<number>()
  const listeners: ((notes: Note[]) => void)[] = []
  const wake = () => waiters.forEach(waiter => waiter())
  // dev's daemon is the session's own: any agent in it is ours, whatever the namespace became.
  const isOurAgent = (name: string, ns?: string) => namespace === undefined ? isAgentName(name) : name === agentName(namespace) && ns === namespace
  bus.on('process:msg', (packet) => {
    const data = packet.data as Partial<AgentWord> | undefined
    if (!isOurAgent(packet.process.name, packet.process.namespace) || data?.['bun-pm'] !== 'health' || replaced.has(data.agent ?? 0))
      return
    workers = data.workers ?? workers
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

  /** How one unit's run that started at `after` or later ended, or undefined while it goes on. */
  const judge = (state: WorkerHealth | undefined, after: number): Readiness | undefined => {
    if (!state || (state.since ?? 0) < after)
      return undefined
    if (state.health === 'ready')
      return { ready: true, state }
    if (state.health === 'errored')
      return { ready: false, state, why: 'errored' }
    if (state.health === 'none' && state.exitCode !== null)
      return state.exitCode === 0 ? { ready: true, state } : { ready: false, state, why: 'exited' }
    return undefined
  }

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

  return {
    get: name => workers[name],
    until: (name, after, deadline) => settle<Readiness>(deadline, () => {
      const units = Object.keys(workers).filter(unit => workerOf(unit) === name)
      const answers = units.map(unit => ({ unit, answer: judge(workers[unit], after) }))
      const failed = answers.find(({ answer }) => answer !== undefined && !answer.ready)
      if (failed)
        return { ...failed.answer as Readiness & { ready: false }, unit: failed.unit }
      if (units.length > 0 && answers.every(({ answer }) => answer?.ready))
        return answers[0]!.answer
      const waiting = answers.find(({ answer }) => answer === undefined)
      const state = waiting && workers[waiting.unit]
      if (agentFailure)
        return { ready: false, state, why: 'agent', unit: waiting?.unit }
      if (Date.now() >= deadline)
        return { ready: false, state, why: 'timeout', unit: waiting?.unit }
      return undefined
    }),
    onNotes: listener => void listeners.push(listener),
    replaceAgent: (oldPids) => {
      oldPids.forEach(pid => replaced.add(pid))
      workers = {}
    },
    agentListening: (since, deadline) => settle(deadline, () =>
      helloAt >= since ? true : agentFailure || Date.now() >= deadline ? false : undefined),
  }
}
