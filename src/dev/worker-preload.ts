// Loaded into every bun worker that `dev` runs (bun --preload), and again on each `bun --watch`
// reload. Two jobs, with no dependency: tell the launcher that new code is running, and make the
// worker's whole process group stop if the PM2 daemon, its parent, goes away. PM2's own library
// (@pm2/io) did the latter; dev turns that library off because it triples the reload time.
// After the worker's own top-level code: the message must not delay the code it announces.
setTimeout(() => process.send?.({ type: 'process:msg', data: { 'bun-pm': 'loaded', pid: process.pid } }), 0)

process.once('disconnect', () => {
  try {
    process.kill(-process.pid, 'SIGTERM')
  }
  catch {
    process.kill(process.pid, 'SIGTERM')
  }
})
