// `start` against PM2's own CLI as it ships, PM2's CLI tuned the way an expert tunes it, and
// spawning the processes directly (the floor): N one-line Bun HTTP servers, cold (no daemon yet),
// time from the command until every one answers, and until the command returns.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { median, PM2_CLI, REPO, serverSource, stopHome, tempDir, waitForBody, write } from './lib.ts'

const BUN_LINK = join(REPO, 'node_modules/.bin/bun')
export const BUILT = join(REPO, 'dist/commands/exec-process.js')

export type Method = 'floor' | 'pm2 CLI' | 'pm2 CLI tuned' | 'bun-pm start'
export const METHODS: Method[] = ['floor', 'pm2 CLI', 'pm2 CLI tuned', 'bun-pm start']

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

export interface Sample {
  /** Command until every worker answered. */
  serving: number
  /** Command until it exited (the floor has no command). */
  returned: number | null
}

/** A folder with the servers, an ecosystem file as PM2 ships (`default`) and tuned, and a pm.config.ts with an HTTP heartbeat per worker. */
export function benchWorkspace(count: number): { path: string, home: string, ports: number[], env: Record<string, string>, remove: () => Promise<void> } {
  const dir = tempDir('bun-pm-bench-start-')
  const home = join(dir.path, '.pm2')
  const ports = freeLowPorts(count)
  const apps = (tuned: boolean) => ports.map((port, i) => ({ name: `s${i}`, script: 'server.ts', interpreter: BUN_LINK, env: { PORT: String(port) }, ...(tuned ? { pmx: false, automation: false } : {}) }))
  write(join(dir.path, 'server.ts'), serverSource('up'))
  write(join(dir.path, 'default.config.cjs'), `module.exports = { apps: ${JSON.stringify(apps(false))} }\n`)
  write(join(dir.path, 'tuned.config.cjs'), `module.exports = { apps: ${JSON.stringify(apps(true))} }\n`)
  write(join(dir.path, 'pm.config.ts'), `export default { workers: [${ports.map((port, i) => `{ name: 's${i}', bun: 'server.ts', heartbeat: 'http://127.0.0.1:${port}/', options: { env: { PORT: '${port}' } } }`).join(', ')}] }\n`)
  return {
    path: dir.path,
    home,
    ports,
    env: { ...process.env as Record<string, string>, PM2_HOME: home, PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` },
    async remove() {
      await stopHome(home)
      rmSync(dir.path, { recursive: true, force: true })
    },
  }
}

/** The command of a method, run in the bench workspace. */
export function commandOf(method: Exclude<Method, 'floor'>): string[] {
  switch (method) {
    case 'pm2 CLI': return ['node', PM2_CLI, 'start', 'default.config.cjs']
    case 'pm2 CLI tuned': return ['node', PM2_CLI, 'start', 'tuned.config.cjs']
    case 'bun-pm start': return [process.execPath, '--no-env-file', BUILT, 'start', '--group=primary']
  }
}

/** One cold measurement: a fresh workspace and PM2 home, the command, every port polled until it answers. */
export async function once(method: Method, count: number, extraEnv: Record<string, string> = {}): Promise<Sample> {
  const ws = benchWorkspace(count)
  const spawned: ReturnType<typeof Bun.spawn>[] = []
  try {
    const env = { ...ws.env, ...extraEnv }
    const started = performance.now()
    let returned: number | null = null
    if (method === 'floor') {
      spawned.push(...ws.ports.map(port => Bun.spawn([process.execPath, 'server.ts'], { cwd: ws.path, env: { ...env, PORT: String(port) }, stdout: 'ignore', stderr: 'ignore' })))
    }
    else {
      const proc = Bun.spawn(commandOf(method), { cwd: ws.path, env, stdout: 'ignore', stderr: 'pipe' })
      spawned.push(proc)
      void proc.exited.then(() => (returned = performance.now() - started))
    }
    await Promise.all(ws.ports.map(port => waitForBody(port, 'up', 120_000)))
    const serving = performance.now() - started
    if (method !== 'floor') {
      const code = await spawned[0]!.exited
      if (code !== 0)
        throw new Error(`${method} exited ${code}: ${await new Response(spawned[0]!.stderr as ReadableStream).text()}`)
    }
    return { serving, returned }
  }
  finally {
    for (const proc of spawned)
      proc.kill('SIGKILL')
    await ws.remove()
  }
}

export interface StartRow {
  count: number
  runs: number
  serving: Record<Method, number>
  returned: Record<Exclude<Method, 'floor'>, number>
  /** bun-pm start's exit minus its last worker answering, per run (its readiness is that answer). */
  returnLag: number
}

/** Medians over `runs`, the methods interleaved run by run so that drift hits all of them. */
export async function benchStart(count: number, runs: number): Promise<StartRow> {
  const samples = Object.fromEntries(METHODS.map(m => [m, [] as Sample[]])) as Record<Method, Sample[]>
  for (let i = 0; i < runs; i++) {
    for (const method of METHODS)
      samples[method].push(await once(method, count))
  }
  const of = (method: Method, key: keyof Sample) => median(samples[method].map(s => s[key] ?? Number.NaN))
  return {
    count,
    runs,
    serving: Object.fromEntries(METHODS.map(m => [m, of(m, 'serving')])) as Record<Method, number>,
    returned: { 'pm2 CLI': of('pm2 CLI', 'returned'), 'pm2 CLI tuned': of('pm2 CLI tuned', 'returned'), 'bun-pm start': of('bun-pm start', 'returned') },
    returnLag: median(samples['bun-pm start'].map(s => s.returned! - s.serving)),
  }
}
