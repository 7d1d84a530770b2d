// Logs that never fill a disk (issue 19): a worker's files within its budget under a flood, no
// line lost or cut across a rotation, each line's time kept; and `logs` reading them back.
import { afterAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { BUN, childEnv, ENTRY } from '../helpers/cli.ts'
import { fixture } from '../helpers/dev-session.ts'
import { startDev, stopDev } from '../helpers/dev-session.ts'
import { type TestHome, withHome } from '../helpers/pm2-home.ts'
import { tempWorkspaces } from '../helpers/workspace.ts'
import { waitUntil } from '../helpers/net.ts'
import { devHome } from '../../src/dev/session.ts'
import { parseLogLine } from '../../src/model/log-lines.ts'

const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)

const MB = 1024 * 1024
const LINE = /^line (\d{9}) x{80}$/

/** Every byte under `dir`, and the largest total seen while `until` has not resolved (looked at every 20 ms). */
async function peakSize(dir: string, until: () => boolean): Promise<number> {
  const total = () => {
    try {
      return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0)
    }
    catch {
      return 0
    }
  }
  let peak = 0
  while (!until()) {
    peak = Math.max(peak, total())
    await Bun.sleep(20)
  }
  return Math.max(peak, total())
}

/** The flood's lines as its files hold them now, oldest rotated file first: whole, stamped, and with no number missing. */
function floodLines(logDir: string, file: string): { numbers: number[], stamps: number[], done?: number, bad: string[] } {
  const names = readdirSync(logDir).filter(n => n === file || n.startsWith(`${file}.`)).sort((a, b) => Number(b.slice(file.length + 1) || 0) - Number(a.slice(file.length + 1) || 0))
  const numbers: number[] = []
  const stamps: number[] = []
  const bad: string[] = []
  let done: number | undefined
  for (const name of names) {
    for (const line of readFileSync(join(logDir, name), 'utf8').split('\n').filter(Boolean)) {
      const { at, text } = parseLogLine(line)
      if (at === undefined)
        bad.push(line.slice(0, 80))
      else
        stamps.push(at)
      const match = LINE.exec(text)
      if (match)
        numbers.push(Number(match[1]))
      else if (/^flood done \d+$/.test(text))
        done = Number(text.split(' ')[2])
      else
        bad.push(text.slice(0, 80))
    }
  }
  return { numbers, stamps, done, bad }
}

const contiguous = (numbers: number[]) => numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1)

async function status(h: TestHome, root: string) {
  return JSON.parse((await h.cli(['status', '--json'], { cwd: root })).stdout).workers as { name: string, pid: number, restarts: number }[]
}

describe('logs that never fill a disk', () => {
  // 4 MB/s here, so that the suite's other tests keep their share of two cores; bench/logs.ts writes 20 MB/s for a minute.
  test.concurrent('a worker flooding its log (4 MB/s for 3 s, two dozen rotations): its files stay within the budget, and every line it wrote since the oldest kept is there, whole and stamped', () => withHome(async (h) => {
    const ws = workspaces.make(`{ workers: [{ name: 'flood', bun: 'flood.ts', options: { logs: { maxSize: '512K', keep: 10 }, env: { SECONDS: '3', RATE: '${4 * MB}', ALL: '1' } } }] }`, { 'flood.ts': fixture('flood.ts') })
    expect((await h.cli(['start'], { cwd: ws.root })).code).toBe(0)
    const logDir = join(h.path, 'logs')
    const out = join(logDir, 'flood-out.log')
    const done = () => {
      try {
        return readFileSync(out, 'utf8').includes('flood done')
      }
      catch {
        return false
      }
    }
    const [before] = await status(h, ws.root)
    // Followed while it floods: the history, then every line as it comes, across the rotations.
    const follower = Bun.spawn([BUN, '--no-env-file', ENTRY, 'logs', '--since=1h', '--json'], { cwd: ws.root, env: childEnv({ PM2_HOME: h.path }), stdout: 'pipe', stderr: 'pipe' })
    try {
      let followed = ''
      const reading = (async () => {
        for await (const chunk of follower.stdout as ReadableStream<Uint8Array>)
          followed += new TextDecoder().decode(chunk)
      })()
      const peak = await peakSize(logDir, done)
      // Eleven files of 512 KB (the current one and ten rotated: room for a follower a busy machine
      // keeps waiting), each past its size by at most one write of PM2's (64 KB).
      expect(peak).toBeLessThan(11 * (512 * 1024 + 64 * 1024) + 4096)
      const { numbers, stamps, done: count, bad } = floodLines(logDir, 'flood-out.log')
      expect(bad).toEqual([])
      expect(count).toBeGreaterThan(50_000)
      // The last line written is there, and none is missing back to the oldest kept: no line was lost at a rotation.
      expect(numbers.at(-1)).toBe(count! - 1)
      expect(contiguous(numbers)).toBe(true)
      expect(numbers.length).toBeGreaterThan(8000)
      expect(readdirSync(logDir).filter(n => n.startsWith('flood-out.log')).sort()).toEqual(['flood-out.log', ...Array.from({ length: 10 }, (_, i) => `flood-out.log.${i + 1}`)].sort())
      // Times in the order the lines were written, and the worker never restarted for it.
      expect(stamps.every((t, i) => i === 0 || t >= stamps[i - 1]!)).toBe(true)
      const [after] = await status(h, ws.root)
      expect([after!.pid, after!.restarts]).toEqual([before!.pid, 0])

      // The follower prints 12 MB as JSON: on a loaded machine that takes a while.
      await waitUntil(() => followed, text => text.includes('"text":"flood done'), 60_000, 50)
      follower.kill('SIGINT')
      expect(await follower.exited).toBe(0)
      await reading
      const seen = followed.trim().split('\n').map(line => (JSON.parse(line) as { text: string }).text).filter(text => text.startsWith('line ')).map(text => Number(text.slice(5, 14)))
      expect(seen.at(-1)).toBe(count! - 1)
      expect(contiguous(seen)).toBe(true)

      // `logs` reads the rotated files too, oldest first: --since, --grep, --json, --lines, --no-follow.
      const all = await h.cli(['logs', '--no-follow', '--since=1h', '--json'], { cwd: ws.root })
      expect(all.code).toBe(0)
      const entries = all.stdout.trim().split('\n').map(line => JSON.parse(line) as { time: string, worker: string, unit: string, stream: string, text: string })
      expect(entries.length).toBe(numbers.length + 1)
      expect(entries[0]).toMatchObject({ worker: 'flood', unit: 'flood', stream: 'out' })
      expect(Number(/^line (\d{9}) /.exec(entries[0]!.text)?.[1])).toBe(numbers[0]!)
      expect(entries.at(-1)!.text).toBe(`flood done ${count}`)
      const oldest = String(numbers[0]).padStart(9, '0')
      const grep = await h.cli(['logs', '--no-follow', `--grep=line ${oldest} `], { cwd: ws.root })
      expect(grep.stdout).toMatch(new RegExp(`^flood +\\| \\d\\d:\\d\\d:\\d\\d line ${oldest} x+\\n$`))
      const middle = entries[Math.floor(entries.length / 2)]!
      const since = await h.cli(['logs', '--no-follow', `--since=${middle.time}`, '--json'], { cwd: ws.root })
      const recent = since.stdout.trim().split('\n').map(line => JSON.parse(line) as { time: string })
      expect(recent.length).toBeLessThan(entries.length)
      expect(recent.every(e => e.time >= middle.time)).toBe(true)
      const last = await h.cli(['logs', '--no-follow', '--lines=2'], { cwd: ws.root })
      expect(last.stdout.trim().split('\n')).toHaveLength(2)
      expect(last.stdout).toContain(`flood done ${count}`)
      expect((await h.cli(['logs', '--no-follow', '--since=soon'], { cwd: ws.root })).stderr).toStartWith('error: --since=soon is neither a length of time nor a moment')
    }
    finally {
      // A failure above leaves it following: it is this test's to end.
      follower.kill('SIGKILL')
    }
  }), 120_000)

  test.concurrent('dev\'s session keeps the same bound, and logs: false leaves a worker unbounded', async () => {
    const ws = workspaces.make(`{ workers: [
      { name: 'flood', bun: 'flood.ts', options: { logs: { maxSize: '128K', keep: 1 }, env: { SECONDS: '2', RATE: '${2 * MB}', ALL: '1' } } },
      { name: 'free', bun: 'flood.ts', options: { logs: false, env: { SECONDS: '1', RATE: '${MB}', ALL: '1' } } },
    ] }`, { 'flood.ts': fixture('flood.ts') })
    const dev = startDev(ws.root)
    try {
      // Behind the flood's own lines on dev's terminal.
      await dev.waitFor(/2 workers up/, { timeoutMs: 40_000 })
      const logDir = join(devHome(ws.root), 'logs')
      // The files say when each flood is done (dev's terminal may drop lines: a pipe that falls behind).
      const wrote = (name: string) => () => {
        try {
          return readFileSync(join(logDir, name), 'utf8').includes('flood done')
        }
        catch {
          return false
        }
      }
      const peak = await peakSize(join(logDir), wrote('flood-out.log'))
      const floodBytes = readdirSync(logDir).filter(n => n.startsWith('flood-out.log')).reduce((sum, n) => sum + statSync(join(logDir, n)).size, 0)
      expect(floodBytes).toBeLessThan(2 * (128 * 1024 + 64 * 1024))
      expect(peak).toBeGreaterThan(0)
      const { numbers, done, bad } = floodLines(logDir, 'flood-out.log')
      expect(bad).toEqual([])
      expect(numbers.at(-1)).toBe(done! - 1)
      expect(contiguous(numbers)).toBe(true)
      // Unbounded: one file, every line, as PM2 writes it (no time stamp).
      await waitUntil(wrote('free-out.log'), done => done, 20_000, 50)
      const free = readFileSync(join(logDir, 'free-out.log'), 'utf8').trim().split('\n')
      expect(readdirSync(logDir).filter(n => n.startsWith('free-out.log'))).toEqual(['free-out.log'])
      expect(free[0]).toMatch(/^line 000000000 /)
      expect(free.at(-1)).toMatch(/^flood done \d+$/)
    }
    finally {
      expect(await stopDev(dev)).toBe(130)
    }
  }, 60_000)

  test.concurrent('on a daemon bun-pm did not start, start says that the logs are not bounded', () => withHome(async (h) => {
    // PM2's own CLI starts the daemon (under node, without bun-pm's writer).
    const pm2 = Bun.spawnSync(['node', join(import.meta.dir, '../../node_modules/pm2/bin/pm2'), 'ping'], { env: { ...process.env, PM2_HOME: h.path } })
    expect(pm2.exitCode).toBe(0)
    const ws = workspaces.make(`{ workers: [{ name: 'tick', bun: 'tick.ts' }] }`, { 'tick.ts': fixture('forever.ts') })
    const started = await h.cli(['start'], { cwd: ws.root })
    expect(started.code).toBe(0)
    expect(started.stderr).toContain('note: this PM2 daemon was not started by bun-pm, so the workers\' log files grow without bound')
  }), 60_000)
})
