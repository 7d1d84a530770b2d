// Where the time of a command goes. `BUN_PM_TRACE=1`: each phase on stderr as `t=<ms since this
// process started> <phase>`. `BUN_PM_TRACE=<file>`: `<epoch ms> <pid> <role> <phase>` appended
// there by every process that inherits it — the launcher, the health agent, the workers' entry —
// so that one start reads on one clock (bench/timeline.ts). Unset, a phase costs one comparison.
const target = process.env.BUN_PM_TRACE
const role = process.env.BUN_PM_AGENT ? 'agent' : process.env.BUN_PM_SCRIPT ? `worker:${process.env.name ?? '?'}` : process.argv[1]?.endsWith('Daemon.js') ? 'daemon' : 'launcher'
let started = false

/**
 * Notes that `phase` is done now, or was at `at` (a `performance.now()` taken earlier); `as`:
 * whose phase, when not this process's own (the health agent inside the daemon).
 */
export function trace(phase: string, { at, as = role }: { at?: number, as?: string } = {}): void {
  if (!target)
    return
  const now = at ?? performance.now()
  if (target === '1') {
    process.stderr.write(`t=${now.toFixed(1)} ${phase}\n`)
    return
  }
  // node:fs only when tracing: every worker loads this module, and loading fs costs it ~1 ms.
  const { appendFileSync } = require('node:fs') as typeof import('node:fs')
  // The process's own start first: what it cost before any of our code ran.
  if (!started) {
    started = true
    appendFileSync(target, `${performance.timeOrigin.toFixed(1)} ${process.pid} ${role} process started\n`)
  }
  appendFileSync(target, `${(performance.timeOrigin + now).toFixed(1)} ${process.pid} ${as} ${phase}\n`)
}
