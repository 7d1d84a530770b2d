// `stop` against the tuned PM2 CLI's `pm2 stop`, N workers running: each tool on its own daemon
// as its user runs it (bun-pm's `start`, PM2's CLI with `pmx: false, automation: false`), the
// stop timed from the command until it exits (both return once their processes have stopped),
// then everything started again for the next run; the two tools alternate run by run.
// Alone: `bun bench/stop.ts [workers=200] [runs=3]` (build first).
import { readFileSync } from 'node:fs'
import { median, ms, PM2_CLI, processesOfHome, timed, waitForBody } from './lib.ts'
import { benchWorkspace, BUILT, commandOf } from './start.ts'

export interface StopRow {
  count: number
  runs: number
  /** `pm2 stop tuned.config.cjs` (its daemon under Node). */
  pm2: number
  /** `bun-pm stop` (every worker of the workspace and its health agent). */
  bunPm: number
  /** Processes of each home still running after its stop: none expected but the daemon. */
  left: { pm2: number, bunPm: number }
}

export async function benchStop(count: number, runs: number): Promise<StopRow> {
  const times = { pm2: [] as number[], bunPm: [] as number[] }
  const left = { pm2: 0, bunPm: 0 }
  const tools = [
    { key: 'pm2' as const, start: commandOf('pm2 CLI tuned'), stop: ['node', PM2_CLI, 'stop', 'tuned.config.cjs'] },
    { key: 'bunPm' as const, start: commandOf('bun-pm start'), stop: [process.execPath, '--no-env-file', BUILT, 'stop'] },
  ]
  for (let i = 0; i < runs; i++) {
    for (const tool of tools) {
      const ws = benchWorkspace(count)
      try {
        await timed(tool.start, ws.path, ws.env)
        await Promise.all(ws.ports.map(port => waitForBody(port, 'up', 120_000)))
        times[tool.key].push(await timed(tool.stop, ws.path, ws.env))
        const daemon = Number(readFileSync(`${ws.home}/pm2.pid`, 'utf8'))
        left[tool.key] = Math.max(left[tool.key], processesOfHome(ws.home).filter(pid => pid !== daemon).length)
      }
      finally {
        await ws.remove()
      }
    }
  }
  return { count, runs, pm2: median(times.pm2), bunPm: median(times.bunPm), left }
}

if (import.meta.main) {
  const [count = '200', runs = '3'] = process.argv.slice(2)
  console.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
  const row = await benchStop(Number(count), Number(runs))
  console.log(`stop, ${row.count} workers (median of ${row.runs}): pm2 stop ${ms(row.pm2)}, bun-pm stop ${ms(row.bunPm)}, ratio ${(row.bunPm / row.pm2).toFixed(2)}; processes left: pm2 ${row.left.pm2}, bun-pm ${row.left.bunPm}`)
  console.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
}
