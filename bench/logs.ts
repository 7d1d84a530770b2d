// A worker that writes 20 MB/s for a minute under `bun start` with the default log budget
// (10 MB a file, 3 rotated): the PM2 home's peak size against the budget, and whether every line
// from the oldest kept to the last is there (none lost or cut at a rotation). `bun bench/logs.ts [seconds]`.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseLogLine } from '../src/model/log-lines.ts'
import { REPO, stopHome, tempDir, write } from './lib.ts'
import { BUILT } from './start.ts'

export interface LogFigures {
  seconds: number
  writtenMb: number
  peakLogsMb: number
  budgetMb: number
  keptLines: number
  gaps: number
  cut: number
  restarts: number
}

const MB = 1024 * 1024

export async function benchLogs(seconds = 60, rate = 20 * MB): Promise<LogFigures> {
  const dir = tempDir('bun-pm-bench-logs-')
  const home = join(dir.path, '.pm2')
  const logs = join(home, 'logs')
  const env = { ...process.env as Record<string, string>, PM2_HOME: home, PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` }
  write(join(dir.path, 'flood.ts'), readFileSync(join(REPO, 'test/fixtures/flood.ts'), 'utf8'))
  write(join(dir.path, 'pm.config.ts'), `export default { workers: [{ name: 'flood', bun: 'flood.ts', options: { env: { SECONDS: '${seconds}', RATE: '${rate}' } } }] }\n`)
  try {
    const started = Bun.spawnSync([process.execPath, '--no-env-file', BUILT, 'start'], { cwd: dir.path, env })
    if (started.exitCode !== 0)
      throw new Error(`bun-pm start failed: ${started.stderr}`)
    const size = () => readdirSync(logs).filter(n => n.startsWith('flood-')).reduce((sum, n) => sum + (statSync(join(logs, n), { throwIfNoEntry: false })?.size ?? 0), 0)
    const done = () => readFileSync(join(logs, 'flood-out.log'), 'utf8').includes('flood done')
    let peak = 0
    const deadline = Date.now() + (seconds + 30) * 1000
    while (!done() && Date.now() < deadline) {
      peak = Math.max(peak, size())
      await Bun.sleep(50)
    }
    const files = readdirSync(logs).filter(n => n.startsWith('flood-out.log')).sort((a, b) => Number(b.split('.log.')[1] ?? 0) - Number(a.split('.log.')[1] ?? 0))
    let previous: number | undefined
    let gaps = 0
    let cut = 0
    let kept = 0
    let count = 0
    for (const file of files) {
      for (const line of readFileSync(join(logs, file), 'utf8').split('\n').filter(Boolean)) {
        const { text } = parseLogLine(line)
        const match = /^line (\d{9}) x{80}$/.exec(text)
        if (match) {
          const n = Number(match[1])
          if (previous !== undefined && n !== previous + 1)
            gaps++
          previous = n
          kept++
        }
        else if (text.startsWith('flood done '))
          count = Number(text.slice(11))
        else
          cut++
      }
    }
    if (previous !== count - 1)
      gaps++
    const status = JSON.parse(Bun.spawnSync([process.execPath, '--no-env-file', BUILT, 'status', '--json'], { cwd: dir.path, env }).stdout.toString())
    return { seconds, writtenMb: (count * 96) / MB, peakLogsMb: peak / MB, budgetMb: 4 * 10, keptLines: kept, gaps, cut, restarts: status.workers[0].restarts }
  }
  finally {
    await stopHome(home)
    dir.remove()
  }
}

if (import.meta.main) {
  const figures = await benchLogs(Number(process.argv[2] ?? 60))
  console.log(figures)
}
