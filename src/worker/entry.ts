// What PM2 runs for every bun worker, the worker's own script in BUN_PM_SCRIPT: it loads that
// script as `bun file.ts` would. PM2's bun container require()s its script, which neither serves
// a module whose default export is a server object (`export default { port, fetch }`, `export
// default app` for Hono: Bun calls Bun.serve with it) nor allows a top-level await.
// No top-level await here either: the container require()s this file.
//
// Its other jobs, before the script runs: under `bun --watch` (dev), tell bun-pm when the code
// threw, since bun then keeps the process halted until an edit and PM2 sees it online, and end a
// process whose code has run out, as plain bun would; make the worker's whole process group stop
// if the PM2 daemon, its parent, goes away (PM2's own library, @pm2/io, did that; bun-pm turns it
// off because it triples the reload time) without keeping a finished job alive.
//
// It runs again at every `bun --watch` reload, before the worker's new code: each module loaded
// here is time added to every save (bench/dev.ts measures it). So this file imports nothing at
// its top: serve.ts only for a default-exported server, trace.ts only when tracing.

const script = process.env.BUN_PM_SCRIPT
if (!script) {
  console.error('bun-pm: BUN_PM_SCRIPT is not set; bun-pm runs this file itself')
  process.exit(2)
}

/** The script's top level has run: an error before it is a failed start, after it a throw. */
let loaded = false

if (process.execArgv.includes('--watch')) {
  // bun --watch prints an uncaught error and then runs none of the code until an edit reloads it.
  // These handlers keep that, and say so to bun-pm first: PM2 sees the process online throughout.
  const halt = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  const failed = (error: unknown) => {
    console.error(error)
    const code = (error as { code?: string } | undefined)?.code
    const text = error instanceof Error ? `${error.message}${code ? ` (${code})` : ''}` : String(error)
    const data = { 'bun-pm': 'failed', 'detail': `${loaded ? 'threw' : 'failed at startup'}: ${text.split('\n')[0]}` }
    if (!process.send)
      return halt()
    // Halt once the message is out (or soon in any case), not before.
    const timer = setTimeout(halt, 200)
    process.send({ type: 'process:msg', data }, undefined, {}, () => {
      clearTimeout(timer)
      halt()
    })
  }
  process.on('uncaughtException', failed)
  process.on('unhandledRejection', failed)
  // bun --watch stays after code that has run out (it waits for an edit), so a job never exited
  // and dev never said "done": end the way plain bun would, with the exit code the code set.
  process.once('beforeExit', () => process.exit(process.exitCode ?? 0))
}

process.once('disconnect', () => {
  try {
    process.kill(-process.pid, 'SIGTERM')
  }
  catch {
    process.kill(process.pid, 'SIGTERM')
  }
})
// A rejection (the script threw) is left unhandled on purpose: it ends the worker as it would
// under `bun file.ts` (or, under dev's bun --watch, the handlers above report it).
void import(script).then(async (module: { default?: unknown }) => {
  const at = performance.now()
  if (process.env.BUN_PM_TRACE)
    void import('../trace.ts').then(({ trace }) => trace('worker script loaded', { at }))
  const def = module.default
  if (isServerConfig(def)) {
    // reusePort (unless the export says otherwise): a deploy starts the new version beside this
    // one on the same port, and only then stops this one, which drains (see serve.ts).
    const { serve } = await import('./serve.ts')
    const server = serve(def as Parameters<typeof serve>[0])
    console.debug(`Started ${server.development ? 'development ' : ''}server: ${server.protocol}://${server.hostname}:${server.port}`)
  }
  loaded = true
  process.send?.({ type: 'process:msg', data: { 'bun-pm': 'loaded', 'pid': process.pid } })
  // The listener must not keep the worker alive: a job whose code is done would wait for the
  // daemon forever instead of exiting 0. Unreferenced, the channel still says when it closes.
  // Only now: unreferenced before the script's import, it held that import back (a reload
  // answered ~20% later under load; bench/devreload-2026-12-07.md).
  process.channel?.unref()
})

/**
 * Bun's own rule for its entry point (bun 1.4's `isServerConfig`): an object with `fetch` (or
 * `app`) and no `stop` — so not a running server, nor an app such as Elysia that serves itself.
 */
function isServerConfig(def: unknown): boolean {
  const d = def as { fetch?: unknown, app?: unknown, stop?: unknown } | undefined
  return Boolean(d) && d !== globalThis && (typeof d!.fetch === 'function' || d!.app != null) && typeof d!.stop !== 'function'
}
