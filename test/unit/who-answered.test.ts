// Whose answer a probe got, read from the kernel's tables while the connection is open: real
// sockets of this process (no other processes: the e2e health tests cover those).
import { afterAll, describe, expect, test } from 'bun:test'
import { probe } from '../../src/agent/probe.ts'
import { whoAnswered } from '../../src/os/sockets.ts'

const keepAlive = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('ok') })
const closing = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('draining', { status: 500, headers: { connection: 'close' } }) })
afterAll(() => {
  keepAlive.stop(true)
  closing.stop(true)
})

const ask = (port: number, siblings: number[]) =>
  probe({ kind: 'http', url: `http://127.0.0.1:${port}/health` }, 2000, ends => whoAnswered(process.pid, port, ends, siblings))

describe('who answered a probe, from the kernel', () => {
  test('a server that keeps the connection open is found by its end of it', async () => {
    expect((await ask(keepAlive.port!, [])).answer).toEqual({ kind: 'ours' })
    // A sibling that does not hold the connection changes nothing.
    expect((await ask(keepAlive.port!, [1])).answer).toEqual({ kind: 'ours' })
  })

  test('a server that closed its end as it answered: its listener, alone on the port; anyone\'s, with siblings', async () => {
    expect((await ask(closing.port!, [])).answer).toEqual({ kind: 'ours' })
    expect((await ask(closing.port!, [1])).answer).toEqual({ kind: 'closed' })
  })
})
