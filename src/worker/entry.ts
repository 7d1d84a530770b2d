// What PM2 runs for every bun worker, the worker's own script in BUN_PM_SCRIPT: it loads that
// script as `bun file.ts` would. PM2's bun container require()s its script, which neither serves
// a module whose default export is a server object (`export default { port, fetch }`, `export
// default app` for Hono: Bun calls Bun.serve with it) nor allows a top-level await.
// No top-level await here either: the container require()s this file.
import { trace } from '../trace.ts'
import { serve } from './serve.ts'

const script = process.env.BUN_PM_SCRIPT
if (!script) {
  console.error('bun-pm: BUN_PM_SCRIPT is not set; bun-pm runs this file itself')
  process.exit(2)
}

// A rejection (the script threw) is left unhandled on purpose: it ends the worker as it would
// under `bun file.ts` (or, under dev's bun --watch, the preload reports it).
void import(script).then((module: { default?: unknown }) => {
  trace('worker script loaded')
  const def = module.default
  if (isServerConfig(def)) {
    // reusePort (unless the export says otherwise): a deploy starts the new version beside this
    // one on the same port, and only then stops this one, which drains (see serve.ts).
    const server = serve(def as Parameters<typeof Bun.serve>[0])
    console.debug(`Started ${server.development ? 'development ' : ''}server: ${server.protocol}://${server.hostname}:${server.port}`)
  }
  // The script's top level has run (an error before this is a failed start, after it a throw).
  ;(globalThis as { [key: symbol]: boolean })[Symbol.for('bun-pm.loaded')] = true
  process.send?.({ type: 'process:msg', data: { 'bun-pm': 'loaded', 'pid': process.pid } })
})

/**
 * Bun's own rule for its entry point (bun 1.4's `isServerConfig`): an object with `fetch` (or
 * `app`) and no `stop` — so not a running server, nor an app such as Elysia that serves itself.
 */
function isServerConfig(def: unknown): boolean {
  const d = def as { fetch?: unknown, app?: unknown, stop?: unknown } | undefined
  return Boolean(d) && d !== globalThis && (typeof d!.fetch === 'function' || d!.app != null) && typeof d!.stop !== 'function'
}
