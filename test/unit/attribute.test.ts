import { describe, expect, test } from 'bun:test'
import { attributeAnswer } from '../../src/agent/attribute.ts'
import { SIBLING_RETRIES } from '../../src/agent/schedule.ts'
import { answeringSockets, parseTcpTable } from '../../src/os/tcp-table.ts'

// Two lines of /proc/net/tcp: a listener on 3000 (0BB8), and the server's end of a connection to it from port 45678 (B26E).
const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0BB8 0100007F:B26E 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:B26E 0100007F:0BB8 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 20 4 30 10 -1
`

describe('who answered a probe', () => {
  test('the server\'s end of the very connection when a process holds it; else the listeners', () => {
    const entries = parseTcpTable(TABLE)
    expect(entries[0]).toEqual({ localAddress: '0100007F', family: 4, localPort: 3000, remotePort: 0, state: '0A', inode: 111 })
    expect(answeringSockets(entries, 3000, 45678)).toEqual({ inodes: [222], exact: true })
    // Not accepted yet (inode 0), or no port known: whoever listens.
    expect(answeringSockets(parseTcpTable(TABLE.replace(' 222 ', ' 0 ')), 3000, 45678)).toEqual({ inodes: [111], exact: false })
    expect(answeringSockets(entries, 3000, undefined)).toEqual({ inodes: [111], exact: false })
    expect(answeringSockets(entries, 4000, 45678)).toEqual({ inodes: [], exact: false })
  })

  test('only the unit\'s own answer counts; another program is its failure, a sibling\'s says nothing', () => {
    const result = { ok: true, detail: 'GET /health -> 200' }
    expect(attributeAnswer({ ...result, answer: { kind: 'ours' } }, 'api', 3000)).toEqual(result)
    expect(attributeAnswer({ ...result, answer: { kind: 'unknown' } }, 'api', 3000)).toEqual(result)
    expect(attributeAnswer(result, 'api', 3000)).toEqual(result)
    expect(attributeAnswer({ ok: false, detail: 'GET /health: connection refused' }, 'api', 3000)).toEqual({ ok: false, detail: 'GET /health: connection refused' })
    expect(attributeAnswer({ ...result, answer: { kind: 'other', pid: 42, command: 'redis-server' } }, 'api', 3000))
      .toEqual({ ok: false, detail: 'GET /health -> 200, but from another process (pid 42: redis-server), not api: port 3000 is taken' })
    expect(attributeAnswer({ ...result, answer: { kind: 'other', pid: null, command: '' } }, 'api', 3000)?.detail).toContain('a process bun-pm cannot see')
    expect(attributeAnswer({ ...result, answer: { kind: 'sibling', pid: 7, listening: true } }, 'web#0', 3000)).toBeUndefined()
    expect(attributeAnswer({ ...result, answer: { kind: 'sibling', pid: 7, listening: false } }, 'web#0', 3000))
      .toEqual({ ok: false, detail: 'GET /health -> 200, but from another process of the worker (pid 7); web#0 does not listen on port 3000' })
  })

  test('an answer on a shared port whose server closed its end at once could be a draining sibling\'s: it says nothing, until too many came', () => {
    const failed = { ok: false, detail: 'GET /health -> 500', status: 500 }
    expect(attributeAnswer({ ...failed, answer: { kind: 'closed' } }, 'web#1', 3000, 0)).toBeUndefined()
    expect(attributeAnswer({ ...failed, answer: { kind: 'closed' } }, 'web#1', 3000, SIBLING_RETRIES - 1)).toBeUndefined()
    expect(attributeAnswer({ ...failed, answer: { kind: 'closed' } }, 'web#1', 3000, SIBLING_RETRIES)).toEqual(failed)
  })
})
