// Imported by workers: a server that a deploy replaces without a client seeing an error. No
// dependency, nothing done at import.
//
// A deploy starts the new version beside the old one on the same port (SO_REUSEPORT), then sends
// the old one SIGTERM. Stopping at once (`server.stop()`) closes the idle keep-alive connections
// under the clients' feet: a client that sent its next request in that instant gets a reset
// (Node's fetch: UND_ERR_SOCKET, ECONNRESET; Bun's fetch retries). Draining instead: for a grace
// period every answer says `Connection: close`, so that each client's next request opens a new
// connection (the kernel spreads those over both versions; the old one closes its own again),
// until no request comes to it any more; then it stops listening, finishes what is under way, and
// the process exits 0.

export interface DrainOptions {
  /**
   * The longest drain: how long the server may keep answering (each answer closing its
   * connection) before it stops listening, though clients still come; default 1000 ms. It stops
   * sooner, once no request has come for a moment (200 ms): the clients have moved over.
   */
  graceMs?: number
  /** Runs once the server has stopped, before the process exits 0 (close a database pool here). */
  onStopped?: () => unknown
}

const DEFAULT_GRACE_MS = 1000
/** No request for this long: every client has moved to a connection of another process. */
const QUIET_MS = 200
const STOP_SIGNALS = ['SIGTERM', 'SIGINT'] as const

/** `Bun.serve` as the project's Bun types (@types/bun) declare it; a project without them gets its options unchecked, not an error in bun-pm's .d.ts. */
type BunServe = typeof globalThis extends { Bun: { serve: infer S extends (options: any) => unknown } } ? S : (options: any) => any
type BunServeOptions = Parameters<BunServe>[0]
type Handler = (...args: any[]) => Response | Promise<Response> | undefined | void | Promise<Response | undefined | void>

/**
 * `Bun.serve`, with `reusePort` on (unless you turn it off) and a drain on SIGTERM or SIGINT, so
 * that a rolling deploy drops no request, keep-alive clients included.
 * @example
 * import { serve } from 'bun-pm'
 * serve({ port: Number(process.env.PORT), fetch: () => new Response('hello') })
 */
export function serve(options: BunServeOptions, drain: DrainOptions = {}): ReturnType<BunServe> {
  const server = Bun.serve({ reusePort: true, ...options } as BunServeOptions)
  onStop(async () => {
    // The handlers answer as before; their answers close the connection from now on.
    const since = Date.now()
    let last = since
    const seen = (handler: Handler) => closing(handler, () => (last = Date.now()))
    const own = options as { fetch?: Handler, routes?: Record<string, unknown> }
    server.reload({ ...options, ...(own.fetch && { fetch: seen(own.fetch) }), ...(own.routes && { routes: closingRoutes(own.routes, seen) }) } as BunServeOptions)
    const longest = drain.graceMs ?? DEFAULT_GRACE_MS
    while (Date.now() - last < QUIET_MS && Date.now() - since < longest)
      await Bun.sleep(Math.min(QUIET_MS - (Date.now() - last), longest - (Date.now() - since)) + 1)
    await server.stop()
    await drain.onStopped?.()
  })
  return server
}

/** Runs `drain` on the first SIGTERM or SIGINT, then exits 0 (a second signal exits at once). */
function onStop(drain: () => Promise<void>): void {
  let stopping = false
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (stopping)
        process.exit(0)
      stopping = true
      void drain().finally(() => process.exit(0))
    })
  }
}

/** A handler whose answers close their connection; `onRequest` hears of each request. */
function closing(handler: Handler, onRequest: () => void): Handler {
  return async function (this: unknown, ...args: unknown[]) {
    onRequest()
    const response = await handler.apply(this, args)
    return response instanceof Response ? withClose(response) : response
  }
}

/** Bun.serve's `routes`, each answer closing its connection: a handler, a handler per method, or a fixed Response. */
function closingRoutes(routes: Record<string, unknown>, closing: (handler: Handler) => Handler): Record<string, unknown> {
  const wrap = (value: unknown): unknown => {
    if (typeof value === 'function')
      return closing(value as Handler)
    if (value instanceof Response)
      return closing(() => value.clone() as Response)
    if (value && typeof value === 'object' && Object.keys(value).some(key => /^[A-Z]+$/.test(key)))
      return Object.fromEntries(Object.entries(value).map(([method, handler]) => [method, wrap(handler)]))
    // A static file or an HTML bundle: served as it is.
    return value
  }
  return Object.fromEntries(Object.entries(routes).map(([path, value]) => [path, wrap(value)]))
}

function withClose(response: Response): Response {
  try {
    response.headers.set('connection', 'close')
    return response
  }
  catch {
    // Immutable headers (a fetched Response passed on): a copy carries it.
    const copy = new Response(response.body, response)
    copy.headers.set('connection', 'close')
    return copy
  }
}
