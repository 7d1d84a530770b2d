// `bun run bench`: every benchmark, printed and written to bench/RESULTS.md with the machine.
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { benchDevUpAndDown, benchReload } from './dev.ts'
import { benchHealth } from './health.ts'
import { benchStart, METHODS, once, type StartFigures } from './start.ts'
import { median, ms, REPO, write } from './lib.ts'

const pm2Version = (await import('pm2/package.json', { with: { type: 'json' } })).default.version
const lines: string[] = [
  '# Benchmarks',
  '',
  `Run with \`bun run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, bun ${Bun.version}, pm2 ${pm2Version}, Linux.`,
  'Medians; every process is started fresh by the benchmark; ports are free ones below 32768 (start) or picked by the OS (dev).',
  '',
]

// `bun start` runs the build: make sure it is this checkout's.
if (Bun.spawnSync([process.execPath, 'run', 'build'], { cwd: REPO, stdout: 'ignore' }).exitCode !== 0)
  throw new Error('bun run build failed')

const startRows: StartFigures[] = []
for (const [count, runs] of [[10, 5], [50, 3]] as const) {
  for (const warm of [false, true])
    startRows.push(await benchStart(count, warm, runs))
}
const startLines = [
  '## start: N one-line Bun HTTP servers, from the command until every one answers',
  '',
  'Ports below 32768. Cold: no daemon yet (each tool spawns its own; bun-pm\'s runs under bun, PM2\'s CLI\'s under Node).',
  'Warm: the daemon runs, the apps do not. `floor` spawns the bun processes directly. 10 workers: 5 runs, 50: 3, interleaved.',
  '',
  `| workers | daemon | ${METHODS.join(' | ')} | bun-pm / PM2 CLI (bar at 50: at most 0.3) |`,
  `|---|---|${METHODS.map(() => '---|').join('')}---|`,
  ...startRows.map(r => `| ${r.count} | ${r.warm ? 'warm' : 'cold'} | ${METHODS.map(m => ms(r.medians[m])).join(' | ')} | ${(r.medians['bun-pm start'] / r.medians['pm2 CLI']).toFixed(2)} |`),
  '',
  'bun-pm sets `pmx: false` (PM2\'s monitoring library, @pm2/io, off): loading it into each worker is most of',
  'the gap. What that costs, checked in test/start.test.ts: PM2\'s heap and event-loop metrics (`pm2 monit`',
  'custom metrics) are gone; memory and CPU remain, and so does max_memory_restart. A worker no longer exits',
  'by itself when the daemon dies; for bun workers a preload does that instead. Set `pmx: true` to have it back.',
  '',
]
console.log(startLines.join('\n'))
lines.push(...startLines)
const reloadFrom = lines.length

const reload = await benchReload()
lines.push(
  '## dev: save a worker file until its new code answers',
  '',
  '| how (side by side, saves alternating) | median of 100 saves |',
  '|---|---|',
  `| \`bun --watch server.ts\` alone | ${ms(reload.bunWatch)} |`,
  `| \`dev\` (PM2, bun worker reloaded in place) | ${ms(reload.dev)} |`,
  `| ratio (bar: at most 1.5) | ${(reload.dev / reload.bunWatch).toFixed(2)} |`,
  '',
)
console.log(lines.slice(reloadFrom).join('\n'))

const devRuns = await benchDevUpAndDown(3, 5)
const startSame: number[] = []
for (let i = 0; i < 5; i++)
  startSame.push(await once('bun-pm start', 3, false))
const devLines = [
  '## dev: start and Ctrl-C (3 one-line servers, 5 runs)',
  '',
  '| what | median |',
  '|---|---|',
  `| \`dev\`: command until every worker answers (cold private daemon) | ${ms(devRuns.up)} |`,
  `| \`start\`, the same 3 workers: command until every worker answers (cold daemon) | ${ms(median(startSame))} |`,
  `| Ctrl-C until the last process of the session is gone (bar: under 1.5 s) | ${ms(devRuns.down)} |`,
  '',
]
console.log(devLines.join('\n'))
lines.push(...devLines)

const healthLines = await benchHealth()
console.log(healthLines.join('\n'))
lines.push(...healthLines)

write(join(REPO, 'bench/RESULTS.md'), `${lines.join('\n')}\n`)
