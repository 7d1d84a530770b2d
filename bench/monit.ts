// `monit` watching N workers (50 by default): its CPU (% of one core) and resident memory, sampled
// each second over ~20 s once it has settled, and how many frames it drew a second. Run alone with
// `bun bench/monit.ts [N] [seconds]`; it prints its section of bench/RESULTS.md.
import { cpuMs, ENTRY, median, rssMb } from './lib.ts'
import { benchWorkspace } from './start.ts'

/** Ink wraps each frame it writes in a synchronized-output block: one of these is one redraw. */
const FRAME_START = '\x1B[?2026h'

export interface MonitFigures {
  count: number
  seconds: number
  cpuPercent: number
  cpuPercentMax: number
  rssMb: number
  rssMbMax: number
  framesPerSecond: number
}

/** `start`s `count` one-line servers (HTTP heartbeats), then runs `monit` in a 100x30 terminal and samples it every second for `seconds`. */
export async function benchMonit(count = 50, seconds = 20): Promise<MonitFigures> {
  const ws = benchWorkspace(count)
  try {
    const started = Bun.spawnSync([process.execPath, '--no-env-file', ENTRY, 'start'], { cwd: ws.path, env: ws.env })
    if (started.exitCode !== 0)
      throw new Error(`start exited ${started.exitCode}: ${started.stderr.toString()}`)
    let frames = 0
    const decoder = new TextDecoder()
    const env: Record<string, string> = { ...ws.env, TERM: 'xterm-256color' }
    delete env.CI
    const monit = Bun.spawn([process.execPath, '--no-env-file', ENTRY, 'monit'], {
      cwd: ws.path,
      env,
      terminal: { cols: 100, rows: 30, data: (_terminal, bytes) => void (frames += decoder.decode(bytes).split(FRAME_START).length - 1) },
    })
    try {
      await Bun.sleep(3000)
      const cpu: number[] = []
      const rss: number[] = []
      let before = cpuMs(monit.pid) / 1000
      const framesBefore = frames
      for (let i = 0; i < seconds; i++) {
        const at = performance.now()
        await Bun.sleep(1000)
        const now = cpuMs(monit.pid) / 1000
        cpu.push(((now - before) / ((performance.now() - at) / 1000)) * 100)
        rss.push(rssMb(monit.pid))
        before = now
      }
      const figures = { count, seconds, cpuPercent: median(cpu), cpuPercentMax: Math.max(...cpu), rssMb: median(rss), rssMbMax: Math.max(...rss), framesPerSecond: (frames - framesBefore) / seconds }
      monit.terminal!.write('q')
      const code = await Promise.race([monit.exited, Bun.sleep(5000).then(() => 'still running')])
      if (code !== 0)
        throw new Error(`monit did not quit on q: ${code}`)
      return figures
    }
    finally {
      monit.kill('SIGKILL')
    }
  }
  finally {
    await ws.remove()
  }
}

/** The `## monit` section of RESULTS.md. */
export function monitSection(f: MonitFigures): string[] {
  return [
    '## monit',
    '',
    `\`bun bench/monit.ts ${f.count} ${f.seconds}\`: \`bun-pm monit\` in a 100x30 pseudo-terminal watching ${f.count} one-line Bun HTTP servers that \`start\` runs (each checked over HTTP by the health agent), sampled once a second for ${f.seconds} s after 3 s to settle.`,
    '',
    '| what | median | highest second | target |',
    '|---|---|---|---|',
    `| CPU of the monit process (% of one core) | ${f.cpuPercent.toFixed(1)} % | ${f.cpuPercentMax.toFixed(1)} % | < 5 % |`,
    `| resident memory (VmRSS) | ${f.rssMb.toFixed(0)} MB | ${f.rssMbMax.toFixed(0)} MB | < 80 MB |`,
    `| frames drawn per second (mean) | ${f.framesPerSecond.toFixed(1)} | – | a few |`,
    '',
  ]
}

if (import.meta.main) {
  const figures = await benchMonit(Number(process.argv[2] ?? 50), Number(process.argv[3] ?? 20))
  console.log(monitSection(figures).join('\n'))
}
