// The example HTTP server: `GET /` says who answered, `GET /health` is what a heartbeat polls.
// It runs under bun (Bun.serve) and, built to dist/, under node (node:http).
import { createServer } from 'node:http'

const port = Number(process.env.PORT ?? 3000)
const started = Date.now()

function respond(path: string): { status: number, body: string } {
  if (path === '/health')
    return { status: 200, body: 'ok\n' }
  if (path === '/')
    return { status: 200, body: `${JSON.stringify({ worker: 'primary-webserver', pid: process.pid, uptimeMs: Date.now() - started })}\n` }
  return { status: 404, body: 'not found\n' }
}

let stop: () => void
if (typeof Bun !== 'undefined') {
  const server = Bun.serve({
    port,
    fetch(request) {
      const { status, body } = respond(new URL(request.url).pathname)
      return new Response(body, { status, headers: { 'content-type': 'text/plain' } })
    },
  })
  stop = () => server.stop(true)
}
else {
  const server = createServer((request, response) => {
    const { status, body } = respond(new URL(request.url ?? '/', 'http://x').pathname)
    response.writeHead(status, { 'content-type': 'text/plain' }).end(body)
  }).listen(port)
  stop = () => server.close()
}
console.log(`listening on http://127.0.0.1:${port} (${process.env.NODE_ENV})`)

// PM2 stops workers with SIGINT unless its daemon was started with PM2_KILL_SIGNAL (bun-pm's is SIGTERM).
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    console.log(`${signal}: closing the server`)
    stop()
    process.exit(0)
  })
}
