import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, release, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { isAlive } from '../src/os/processes.ts'

export const REPO = resolve(import.meta.dir, '..')
export const ENTRY = join(REPO, 'src/commands/exec-process.ts')
/** PM2's own CLI, as its users run it (under Node). */
export const PM2_CLI = join(REPO, 'node_modules/pm2/bin/pm2')

/** Runs `cmd` to its exit and says how long it took (ms); a non-zero exit throws with its stderr. */
export async function timed(cmd: string[], cwd: string, env: Record<string, string>): Promise<number> {
  const started = performance.now()
  const proc = Bun.spawn(cmd, { cwd, env, stdout: 'ignore', stderr: 'pipe' })
  const code = await proc.exited
  if (code !== 0)
    throw new Error(`${cmd.join(' ')} exited ${code}: ${await new Response(proc.stderr).text()}`)
  return performance.now() - started
}

/**
 * `commands` timed one after another for `runs` rounds, each round starting one further along, so
 * that what one run leaves behind for the next (a daemon still busy after answering) falls on each
 * alike: at 200 workers the second of two `status` runs in a row came out ~30 ms slower, whichever
 * it was. Each command's times, in the order given.
 */
export async function interleaved(commands: string[][], runs: number, cwd: string, env: Record<string, string>): Promise<number[][]> {
  const times = commands.map(() => [] as number[])
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < commands.length; k++) {
      const i = (round + k) % commands.length
      times[i]!.push(await timed(commands[i]!, cwd, env))
    }
  }
  return times
}

const CLOCK_TICKS = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100

/** CPU time (user + system, ms) `pid` has used so far; 0 once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 1000 / CLOCK_TICKS
  }
  catch {
    return 0
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export { freePort } from '../test/helpers/net.ts'

export const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`

/** Polls until `port` answers with a body starting with `prefix`; resolves with the time it took. */
export async function waitForBody(port: number, prefix: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text()
      if (body.startsWith(prefix))
        return
    }
    catch {}
    if (Date.now() > deadline)
      throw new Error(`port ${port} did not answer "${prefix}" within ${timeoutMs} ms`)
    await Bun.sleep(1)
  }
}

export function tempDir(prefix: string): { path: string, remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

export function write(path: string, text: string): void {
  writeFileSync(path, text)
}

/** A one-line Bun HTTP server answering VERSION. */
export const serverSource = (version: string) =>
  `Bun.serve({ port: Number(process.env.PORT), fetch: () => new Response('${version}') })\n`

/** Every process whose environment names this PM2 home (the daemon, its workers, the agent). */
export function processesOfHome(home: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry))
      continue
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`PM2_HOME=${home}`))
        pids.push(Number(entry))
    }
    catch {}
  }
  return pids
}

/**
 * Stops the daemon of `home` (SIGTERM: it stops its processes), then SIGKILLs, by pid, anything
 * of that home still there after 5 s, and waits until nothing of it is left.
 */
export async function stopHome(home: string): Promise<void> {
  try {
    process.kill(Number(readFileSync(join(home, 'pm2.pid'), 'utf8')), 'SIGTERM')
  }
  catch {}
  const deadline = Date.now() + 5000
  for (;;) {
    const left = processesOfHome(home).filter(isAlive)
    if (left.length === 0)
      return
    if (Date.now() > deadline) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL')
        }
        catch {}
      }
    }
    await Bun.sleep(10)
  }
}

/** Resident memory of `pid` in MB (VmRSS). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024
}

/** The machine and versions, for the top of RESULTS.md. */
export function machine(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'cpu'
  const nproc = Bun.spawnSync(['nproc']).stdout.toString().trim() || String(cpus().length)
  const node = Bun.spawnSync(['node', '--version']).stdout.toString().trim()
  const pm2 = JSON.parse(readFileSync(join(REPO, 'node_modules/pm2/package.json'), 'utf8')).version
  return `nproc ${nproc} (${model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}; bun ${Bun.version}, node ${node}, pm2 ${pm2}`
}

/** HEAD, and whether src/ had uncommitted changes. */
export function checkoutState(): string {
  const git = (args: string[]) => Bun.spawnSync(['git', ...args], { cwd: REPO }).stdout.toString().trim()
  return `${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain', '--', 'src']) ? ' with uncommitted changes to src/' : ''}`
}
