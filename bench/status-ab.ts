// Two builds' `status --json` side by side on one daemon running N workers, interleaved:
// `bun bench/status-ab.ts <a/dist/commands/exec-process.js> <b/dist/commands/exec-process.js> [workers] [runs]`.
// For a change to what status loads: build the commit before it in a worktree (`git worktree add`,
// `bun run build`) and compare. bench/status-2026-12-07.md has what this found.
import { readFileSync } from 'node:fs'
import { interleaved, median, timed } from './lib.ts'
import { benchWorkspace, commandOf } from './start.ts'

const [a, b, workers = '10', runs = '15'] = process.argv.slice(2)
if (!a || !b)
  throw new Error('usage: bun bench/status-ab.ts <built entry A> <built entry B> [workers] [runs]')
const ws = benchWorkspace(Number(workers))
try {
  await timed(commandOf('bun-pm start'), ws.path, ws.env)
  const entries = [a, b]
  const times = await interleaved(entries.map(entry => [process.execPath, '--no-env-file', entry, 'status', '--json']), Number(runs), ws.path, ws.env)
  console.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}; ${workers} workers, median of ${runs}`)
  entries.forEach((entry, i) => console.log(`${median(times[i]!).toFixed(1)} ms  ${entry}`))
}
finally {
  await ws.remove()
}
