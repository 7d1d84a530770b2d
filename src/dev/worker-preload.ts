// Loaded into every bun worker (bun --preload), and again on each `bun --watch` reload. Three jobs,
// with no dependency: tell bun-pm that new code is running; under `bun --watch` (dev), tell it when
// that code threw, since bun then keeps the process waiting for an edit and PM2 sees it online; and
// make the worker's whole process group stop if the PM2 daemon, its parent, goes away (PM2's own
// library, @pm2/io, did that; bun-pm turns it off because it triples the reload time).
const say = (data: Record<string, unknown>) => process.send?.({ type: 'process:msg', data: { 'bun-pm': data.event, ...data } })

// After the worker's own top-level code: the message must not delay the code it announces.
let loaded = false
setTimeout(() => {
  loaded = true
  say({ event: 'loaded', pid: process.pid })
}, 0)

if (process.execArgv.includes('--watch')) {
  const failed = (error: unknown) => {
    // What bun would have printed; then bun --watch waits for an edit, as it would have.
    console.error(error)
    const text = error instanceof Error ? `${error.message}${(error as { code?: string }).code ? ` (${(error as { code?: string }).code})` : ''}` : String(error)
    say({ event: 'failed', detail: `${loaded ? 'threw' : 'failed at startup'}: ${text.split('\n')[0]}` })
  }
  process.on('uncaughtException', failed)
  process.on('unhandledRejection', failed)
}

process.once('disconnect', () => {
  try {
    process.kill(-process.pid, 'SIGTERM')
  }
  catch {
    process.kill(process.pid, 'SIGTERM')
  }
})
