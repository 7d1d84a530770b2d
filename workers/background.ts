// The example background worker: does a small piece of work every TICK_MS and logs it. Each
// finished piece calls heartbeat(): pm.config.ts gives it `heartbeat: '30s'`, so a worker whose
// loop stalls for 30 s is restarted, however alive its process looks.
import { heartbeat } from '../src/index.ts'

const every = Number(process.env.TICK_MS ?? 5000)
let ticks = 0

const timer = setInterval(() => {
  ticks++
  const memoryMb = (process.memoryUsage().rss / 1024 / 1024).toFixed(1)
  console.log(`tick ${ticks}: swept the cache (rss ${memoryMb} MB)`)
  heartbeat()
}, every)

console.log(`background worker up, ticking every ${every} ms`)
heartbeat()

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    clearInterval(timer)
    console.log(`stopping after ${ticks} ticks`)
    process.exit(0)
  })
}
