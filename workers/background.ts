// The example background worker: does a small piece of work every TICK_MS and logs it.
const every = Number(process.env.TICK_MS ?? 5000)
let ticks = 0

const timer = setInterval(() => {
  ticks++
  const memoryMb = (process.memoryUsage().rss / 1024 / 1024).toFixed(1)
  console.log(`tick ${ticks}: swept the cache (rss ${memoryMb} MB)`)
}, every)

console.log(`background worker up, ticking every ${every} ms`)
process.send?.('ready')

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    clearInterval(timer)
    console.log(`stopping after ${ticks} ticks`)
    process.exit(0)
  })
}
