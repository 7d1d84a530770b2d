// `bun-pm run -- true` for the example workspace (group primary) against `start` + `stop` on a
// cold daemon, and the daemon killed after: what bringing a workspace up and down for one
// command costs. `bun bench/run-command.ts [runs]`.
import { join } from 'node:path'
import { freePort, median, ms, REPO, stopHome, tempDir } from './lib.ts'
import { BUILT } from './start.ts'

export interface RunFigures {
  runs: number
  run: number
  startStop: number
  startStopKill: number
}

function timed(cmd: string[], env: Record<string, string>): number {
  const began = performance.now()
  const result = Bun.spawnSync(cmd, { cwd: REPO, env, stdout: 'ignore', stderr: 'pipe' })
  if (result.exitCode !== 0)
    throw new Error(`${cmd.join(' ')} exited ${result.exitCode}: ${result.stderr}`)
  return performance.now() - began
}

export async function benchRunCommand(runs = 5): Promise<RunFigures> {
  const times = { run: [] as number[], startStop: [] as number[], startStopKill: [] as number[] }
  for (let i = 0; i < runs; i++) {
    const env = { ...process.env as Record<string, string>, PORT: String(freePort()), PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` }
    times.run.push(timed([process.execPath, '--no-env-file', BUILT, 'run', '--', 'true'], env))
    const home = tempDir('bun-pm-bench-run-')
    const cold = { ...env, PM2_HOME: join(home.path, '.pm2') }
    try {
      const up = timed([process.execPath, '--no-env-file', BUILT, 'start'], cold) + timed([process.execPath, '--no-env-file', BUILT, 'stop'], cold)
      const began = performance.now()
      await stopHome(cold.PM2_HOME)
      times.startStop.push(up)
      times.startStopKill.push(up + performance.now() - began)
    }
    finally {
      home.remove()
    }
  }
  return { runs, run: median(times.run), startStop: median(times.startStop), startStopKill: median(times.startStopKill) }
}

export function runSection(f: RunFigures): string[] {
  return [
    '## `run -- true`: the example workspace up for one command, and gone',
    '',
    `\`bun bench/run-command.ts ${f.runs}\`: the repository's pm.config.ts, group primary (a web server checked over HTTP, and a worker that depends on it), each run cold.`,
    '',
    '| what | median |',
    '|---|---|',
    `| \`bun-pm run -- true\` (private daemon, ready, the command, everything stopped, its folder removed) | ${ms(f.run)} |`,
    `| \`bun-pm start\` + \`bun-pm stop\` on a cold PM2 home | ${ms(f.startStop)} |`,
    `| the same, and the daemon killed after (what run also does) | ${ms(f.startStopKill)} |`,
    '',
  ]
}

if (import.meta.main)
  console.log(runSection(await benchRunCommand(Number(process.argv[2] ?? 5))).join('\n'))
