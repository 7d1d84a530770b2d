// Clients that request a port without pause, counting what fails: what a deploy must not drop.
// They run under Node: its fetch (undici) reports a keep-alive connection closed under a request
// (UND_ERR_SOCKET), where Bun's fetch quietly retries it.
import { spawn } from 'node:child_process'

export interface LoadResult {
  sent: number
  failed: number
  errors: string[]
}

export interface Load {
  stop: () => Promise<LoadResult>
}

/**
 * What a rolling replacement of `units` may cost these clients: in the instant an old process
 * closes its listening socket, a connection the kernel has just queued for it is reset (Linux
 * hands it to the new one only with net.ipv4.tcp_migrate_req=1), and on a loaded machine a client
 * can send on an idle connection at that very moment. At most two such per unit, and nothing else:
 * no HTTP error, no refused connection. (Stopping at once, as `server.stop()` does, costs 4-13
 * per unit here; the figures are in bench/RESULTS.md.)
 */
export function withinDrainRace({ failed, errors }: LoadResult, units: number): { failed: boolean, errors: string[] } {
  return { failed: failed > 2 * units, errors: errors.filter(e => e !== 'ECONNRESET' && e !== 'UND_ERR_SOCKET') }
}

const CLIENT = `
const [port, clients, fresh] = process.argv.slice(1).map(Number)
let running = true, sent = 0
const errors = []
const loop = async () => {
  while (running) {
    sent++
    try {
      const response = await fetch('http://127.0.0.1:' + port + '/', { signal: AbortSignal.timeout(5000), ...(fresh && { headers: { connection: 'close' } }) })
      await response.text()
      if (!response.ok) errors.push('HTTP ' + response.status)
    }
    catch (error) { errors.push(error.cause?.code ?? error.code ?? error.message) }
  }
}
const loops = Array.from({ length: clients }, loop)
process.stdout.write('running\\n')
process.stdin.on('data', async () => {
  running = false
  await Promise.all(loops)
  process.stdout.write(JSON.stringify({ sent, failed: errors.length, errors: [...new Set(errors)] }) + '\\n')
  process.exit(0)
})
`

/** How clients connect: keep-alive (browsers, proxies, fetch), or a new connection per request. */
export type ClientMode = 'keep-alive' | 'new connection'

/** `clients` loops of GET http://127.0.0.1:<port>/ from when it resolves until `stop`. */
export async function loadPort(port: number, { clients = 8, mode = 'keep-alive' as ClientMode } = {}): Promise<Load> {
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
