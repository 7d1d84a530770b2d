// `bun run bench`: every benchmark, printed and written to bench/RESULTS.md with the machine.
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { benchDevUpAndDown, benchReload } from './dev.ts'
import { ms, REPO, write } from './lib.ts'

const pm2Version = (await import('pm2/package.json', { with: { type: 'json' } })).default.version
const lines: string[] = [
  '# Benchmarks',
  '',
  `Run with \`bun run bench\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, bun ${Bun.version}, pm2 ${pm2Version}, Linux.`,
  'Medians; every process is started fresh by the benchmark, ports are picked by the OS.',
  '',
]

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
console.log(lines.join('\n'))

const devRuns = await benchDevUpAndDown(3, 5)
const devLines = [
  '## dev: start and Ctrl-C (3 one-line servers, 5 runs)',
  '',
  '| what | median |',
  '|---|---|',
  `| command until every worker answers (cold private daemon) | ${ms(devRuns.up)} |`,
  `| Ctrl-C until the last process of the session is gone (bar: under 1.5 s) | ${ms(devRuns.down)} |`,
  '',
]
console.log(devLines.join('\n'))
lines.push(...devLines)

write(join(REPO, 'bench/RESULTS.md'), `${lines.join('\n')}\n`)
