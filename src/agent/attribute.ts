// Whose answer a probe got, and what it then says of the unit it was meant for. Pure.
import type { Answerer } from '../os/sockets.ts'
import type { ProbeResult } from './probe.ts'

/**
 * A probe's result as a check of `unit`: an answer counts only when the unit's own process gave
 * it. Another program on the port (a `start` of the same workspace, an old server, anything) is
 * the unit's failure, said as such; a sibling's answer (another process of the same worker on a
 * shared port) says nothing of this one, so it is no check at all (undefined: ask again) — unless
 * the unit does not even listen there. Where the tables cannot tell (another host, another
 * network namespace), the answer counts as before.
 */
export function attributeAnswer(result: ProbeResult<Answerer>, unit: string, port: number): { ok: boolean, detail: string, status?: number } | undefined {
  const { ok, detail, answer, status } = result
  if (answer === undefined || answer.kind === 'ours' || answer.kind === 'unknown')
    return { ok, detail, ...(status !== undefined && { status }) }
  if (answer.kind === 'sibling')
    return answer.listening ? undefined : { ok: false, detail: `${detail}, but from another process of the worker (pid ${answer.pid}); ${unit} does not listen on port ${port}` }
  const who = answer.pid === null ? 'a process bun-pm cannot see (another user\'s?)' : `pid ${answer.pid}${answer.command ? `: ${answer.command}` : ''}`
  return { ok: false, detail: `${detail}, but from another process (${who}), not ${unit}: port ${port} is taken` }
}
