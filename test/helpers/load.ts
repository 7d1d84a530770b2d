// Clients that request a port without pause, counting what fails: what a deploy must not drop.
// They run under Node: its fetch (undici) reports a keep-alive connection closed under a request
// (UND_ERR_SOCKET), where Bun's fetch quietly retries it.
import { spawn } from 'node:child_process'

export interface LoadResult {
  sent: number
  failed: number
  /** Of those, requests whose connection was reset under them. */
  resets: number
  errors: string[]
}

export interface Load {
  stop: () => Promise<LoadResult>
}

/**
 * What a rolling replacement of `units` may cost these clients: in the instant an old process
 * closes its listening socket, a connection the kernel has just queued for it is reset (Linux
 * hands it to the new one only with net.ipv4.tcp_migrate_req=1). Each client has one connection
 * at a time, so at most one reset per client per unit, and nothing else: no HTTP error, no
 * refused connection, no answer slower than 15 s (a timeout: DOMException code 23). On a quiet machine it is 0 (the drain itself is checked in
 * serve.test.ts; the counts, and what stopping at once costs, are in bench/RESULTS.md); a loaded
 * one makes the instant longer. `beyondRace`: resets beyond that bound.
 */
export function withinDrainRace({ errors, resets }: LoadResult, units: number, clients = CLIENTS): { beyondRace: number, errors: string[] } {
  return { beyondRace: Math.max(0, resets - clients * units), errors: errors.filter(e => !RESETS.includes(e)) }
}

const CLIENTS = 8
const RESETS = ['ECONNRESET', 'UND_ERR_SOCKET']

const CLIENT = `
const [port, clients, fresh] = process.argv.slice(1).map(Number)
let running = true, sent = 0, resets = 0
const errors = []
const loop = async () => {
  while (running) {
    sent++
    try {
      const response = await fetch('http://127.0.0.1:' + port + '/', { signal: AbortSignal.timeout(15_000), ...(fresh && { headers: { connection: 'close' } }) })
      await response.text()
      if (!response.ok) errors.push('HTTP ' + response.status)
    }
    catch (error) {
      const code = error.cause?.code ?? error.code ?? error.message
      errors.push(code)
      if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') resets++
    }
  }
}
const loops = Array.from({ length: clients }, loop)
process.stdout.write('running\\n')
process.stdin.on('data', async () => {
  running = false
  await Promise.all(loops)
  process.stdout.write(JSON.stringify({ sent, failed: errors.length, resets, errors: [...new Set(errors)] }) + '\\n')
  process.exit(0)
})
`

/** How clients connect: keep-alive (browsers, proxies, fetch), or a new connection per request. */
export type ClientMode = 'keep-alive' | 'new connection'

/** `clients` loops of GET http://127.0.0.1:<port>/ from when it resolves until `stop`. */
export async function loadPort(port: number, { clients = CLIENTS, mode = 'keep-alive' as ClientMode } = {}): Promise<Load> {
  const child = spawn('node', ['-e', CLIENT, String(port), String(clients), mode === 'new connection' ? '1' : '0'], { stdio: ['pipe', 'pipe', 'inherit'] })
  let out = ''
  const lines = (count: number) => new Promise<string>((resolve, reject) => {
    const check = () => out.split('\n').length > count && resolve(out.split('\n')[count - 1]!)
    child.stdout.on('data', (chunk) => {
      out += chunk
      check()
    })
    child.once('exit', code => reject(new Error(`the load client exited (${code}): ${out}`)))
    check()
  })
  await lines(1)
  return {
    async stop() {
      child.stdin.write('stop\n')
      return JSON.parse(await lines(2)) as LoadResult
    },
  }
}
