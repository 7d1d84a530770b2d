// Loaded into every bun worker (bun --preload), and again on each `bun --watch` reload. Its jobs,
// with no dependency: tell bun-pm that new code is running; under `bun --watch` (dev), tell it when
// that code threw, since bun then keeps the process halted until an edit and PM2 sees it online,
// and end a process whose code has run out, as plain bun would; and make the worker's whole
// process group stop if the PM2 daemon, its parent, goes away (PM2's own library, @pm2/io, did
// that; bun-pm turns it off because it triples the reload time) without keeping a finished job alive.
const say = (data: Record<string, unknown>) => process.send?.({ type: 'process:msg', data: { 'bun-pm': data.event, ...data } })

// After the worker's own top-level code: the message must not delay the code it announces. A bun
// worker runs through bun-pm's entry (src/worker/entry.ts), which imports the script and says
// "loaded" itself once that has run; this covers anything else preloaded.
const LOADED = Symbol.for('bun-pm.loaded')
const state = globalThis as { [LOADED]?: boolean }
const loaded = () => state[LOADED] === true
if (!process.env.BUN_PM_SCRIPT) {
  setTimeout(() => {
    state[LOADED] = true
    say({ event: 'loaded', pid: process.pid })
  }, 0)
}

if (process.execArgv.includes('--watch')) {
  // bun --watch prints an uncaught error and then runs none of the code until an edit reloads it.
  // These handlers keep that, and say so to bun-pm first: PM2 sees the process online throughout.
  const halt = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  const failed = (error: unknown) => {
    console.error(error)
    const code = (error as { code?: string } | undefined)?.code
    const text = error instanceof Error ? `${error.message}${code ? ` (${code})` : ''}` : String(error)
    const data = { 'bun-pm': 'failed', 'detail': `${loaded() ? 'threw' : 'failed at startup'}: ${text.split('\n')[0]}` }
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
// The listener must not keep the worker alive: a job whose code is done would wait for the
// daemon forever instead of exiting 0. Unreferenced, the channel still says when it closes.
process.channel?.unref()
