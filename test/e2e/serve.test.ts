// bun-pm's `serve`, in a real process under real signals: a drain that lets keep-alive clients
// move to the new version before the old one stops listening.
import { afterAll, expect, test } from 'bun:test'
import { spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)

const SERVER = `import { serve } from 'bun-pm'
const server = serve({
  port: 0,
  hostname: '127.0.0.1',
  routes: { '/static': new Response('static'), '/api': { GET: () => new Response('api') } },
  fetch: () => new Response('fetch'),
}, { onStopped: () => console.log('stopped') })
console.log(server.port)
`

/** One keep-alive connection: `get` sends a request on it and resolves with the answer's head and body. */
function keepAlive(port: number): { get: (path: string) => Promise<string>, socket: Socket } {
  const socket = connect(port, '127.0.0.1')
  let buffer = ''
  let waiting: ((text: string) => void) | undefined
  socket.on('data', (chunk) => {
    buffer += chunk
    const end = buffer.indexOf('\r\n\r\n')
    const length = Number(/content-length: (\d+)/i.exec(buffer)?.[1] ?? 0)
    if (end >= 0 && buffer.length >= end + 4 + length) {
      const answer = buffer.slice(0, end + 4 + length)
      buffer = buffer.slice(answer.length)
      waiting?.(answer)
    }
  })
  return {
    socket,
    get: path => new Promise((resolve) => {
      waiting = resolve
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)
    }),
  }
}

test('on SIGTERM it answers every request with Connection: close while it still listens, then stops once no request comes, and exits 0', async () => {
  const ws = workspaces.make('{ workers: [] }', { 'server.ts': SERVER })
  const child = spawn(process.execPath, [join(ws.root, 'server.ts')], { cwd: ws.root, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout!.on('data', chunk => (out += chunk))
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  try {
    while (!/^\d+\n/.test(out))
      await Bun.sleep(10)
    const port = Number(out.split('\n')[0])
    const client = keepAlive(port)
    // Before the signal: keep-alive answers, from fetch and from routes.
    for (const path of ['/', '/static', '/api'])
      expect((await client.get(path)).toLowerCase()).not.toContain('connection: close')
    child.kill('SIGTERM')
    await Bun.sleep(50)
    const sentAt = Date.now()
    const draining = await client.get('/')
    expect(draining).toEndWith('fetch')
    expect(draining.toLowerCase()).toContain('connection: close')
    // Still listening: a client's new connection is answered (and closed) too, by a route as well.
    for (const [path, body] of [['/static', 'static'], ['/api', 'api']] as const) {
      const fresh = keepAlive(port)
      const answer = await fresh.get(path)
      expect(answer).toEndWith(body)
      expect(answer.toLowerCase()).toContain('connection: close')
      fresh.socket.destroy()
    }
    client.socket.destroy()
    // No request for a moment: it stops listening, runs onStopped and exits 0, well within PM2's kill_timeout.
    expect(await exited).toBe(0)
    expect(Date.now() - sentAt).toBeLessThan(5000)
    expect(out).toContain('stopped')
  }
  finally {
    child.kill('SIGKILL')
  }
}, 20_000)
