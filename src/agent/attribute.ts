// Whose answer a probe got, and what it then says of the unit it was meant for. Pure.
import type { Answerer } from '../os/sockets.ts'
import type { ProbeResult } from './probe.ts'
import { SIBLING_RETRIES } from './schedule.ts'

/**
 * A probe's result as a check of `unit`: an answer counts only when the unit's own process gave
 * it. Another program on the port (a `start` of the same workspace, an old server, anything) is
 * the unit's failure, said as such; a sibling's answer (another process of the same worker on a
 * shared port) says nothing of this one, so it is no check at all (undefined: ask again) — unless
 * the unit does not even listen there. An answer on a shared port whose server closed its end at
 * once (a sibling draining answers `Connection: close`) could be anyone's: it says nothing either,
 * until `closedSoFar` such answers came with none that counted between (a server that always
 * closes would never be judged).
 * Where the tables cannot tell (another host, another network namespace), the answer counts.
 */
export function attributeAnswer(result: ProbeResult<Answerer>, unit: string, port: number, closedSoFar = 0): { ok: boolean, detail: string, status?: number } | undefined {
  const { ok, detail, answer, status } = result
  if (answer?.kind === 'closed' && closedSoFar < SIBLING_RETRIES)
    return undefined
  if (answer === undefined || answer.kind === 'ours' || answer.kind === 'unknown' || answer.kind === 'closed')
    return { ok, detail, ...(status !== undefined && { status }) }
  if (answer.kind === 'sibling')
    return answer.listening ? undefined : { ok: false, detail: `${detail}, but from another process of the worker (pid ${answer.pid}); ${unit} does not listen on port ${port}` }
  const who = answer.pid === null ? 'a process bun-pm cannot see (another user\'s?)' : `pid ${answer.pid}${answer.command ? `: ${answer.command}` : ''}`
  return { ok: false, detail: `${detail}, but from another process (${who}), not ${unit}: port ${port} is taken` }
}
