// `start` against PM2's own CLI and against spawning the processes directly (the floor):
// N one-line Bun HTTP servers, time from the command until every one answers.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive } from '../src/os/processes.ts'
import { median, REPO, serverSource, tempDir, waitForBody, write } from './lib.ts'

const BUN_LINK = join(REPO, 'node_modules/.bin/bun')
const PM2_CLI = join(REPO, 'node_modules/pm2/bin/pm2')
const BUILT = join(REPO, 'dist/commands/exec-process.js')

export type Method = 'floor' | 'pm2 CLI' | 'bun-pm start'
export const METHODS: Method[] = ['floor', 'pm2 CLI', 'bun-pm start']

/** N ports below 32768 (outside the kernel's ephemeral range) that are free right now. */
export function freeLowPorts(count: number): number[] {
  const ports: number[] = []
  let port = 20000 + Math.floor(Math.random() * 10000)
  while (ports.length < count) {
    port = port >= 32000 ? 20000 : port + 1
    try {
      Bun.listen({ hostname: '0.0.0.0', port, socket: { data() {} } }).stop(true)
      ports.push(port)
    }
    catch {}
  }
  return ports
}

function run(cmd: string[], env: Record<string, string>, cwd: string) {
  return Bun.spawn(cmd, { cwd, env: { ...process.env, ...env }, stdout: 'ignore', stderr: 'ignore' })
}

export async function stopDaemon(home: string): Promise<void> {
  let pid = 0
  try {
    pid = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'))
    process.kill(pid, 'SIGTERM')
  }
  catch {}
  while (pid && isAlive(pid))
    await Bun.sleep(10)
}

/** One measurement: spawn the method's command, resolve when every port answers. */
export async function once(method: Method, count: number, warm: boolean): Promise<number> {
  const dir = tempDir('bun-pm-bench-start-')
  const home = join(dir.path, '.pm2')
  const ports = freeLowPorts(count)
  const env = { PM2_HOME: home, PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` }
  write(join(dir.path, 'server.ts'), serverSource('up'))
  write(join(dir.path, 'ecosystem.config.cjs'), `module.exports = { apps: ${JSON.stringify(ports.map((port, i) => ({ name: `s${i}`, script: 'server.ts', interpreter: BUN_LINK, env: { PORT: String(port) } })))} }\n`)
  write(join(dir.path, 'pm.config.ts'), `export default { workers: [${ports.map((port, i) => `{ name: 's${i}', bun: 'server.ts', options: { env: { PORT: '${port}' } } }`).join(', ')}] }\n`)
  const spawned: ReturnType<typeof Bun.spawn>[] = []
  try {
    if (warm && method === 'pm2 CLI')
      await run(['node', PM2_CLI, 'ping'], env, dir.path).exited
    if (warm && method === 'bun-pm start')
      await run([process.execPath, '--no-env-file', join(REPO, 'bench/warm-daemon.ts')], env, dir.path).exited
    const started = performance.now()
    if (method === 'floor')
      spawned.push(...ports.map(port => run([process.execPath, 'server.ts'], { PORT: String(port) }, dir.path)))
    else if (method === 'pm2 CLI')
      spawned.push(run(['node', PM2_CLI, 'start', 'ecosystem.config.cjs'], env, dir.path))
    else
      spawned.push(run([process.execPath, '--no-env-file', BUILT, 'start', '--group=primary'], env, dir.path))
    await Promise.all(ports.map(port => waitForBody(port, 'up', 60_000)))
    return performance.now() - started
  }
  finally {
    for (const proc of spawned)
      proc.kill('SIGKILL')
    await stopDaemon(home)
    rmSync(dir.path, { recursive: true, force: true })
  }
}

export interface StartFigures {
  count: number
  warm: boolean
  medians: Record<Method, number>
}

/** Medians over `runs`, the methods interleaved run by run so that drift hits all three. */
export async function benchStart(count: number, warm: boolean, runs: number): Promise<StartFigures> {
  const times: Record<Method, number[]> = { 'floor': [], 'pm2 CLI': [], 'bun-pm start': [] }
  for (let i = 0; i < runs; i++) {
    for (const method of METHODS)
      times[method].push(await once(method, count, warm))
  }
  return { count, warm, medians: { 'floor': median(times.floor), 'pm2 CLI': median(times['pm2 CLI']), 'bun-pm start': median(times['bun-pm start']) } }
}
