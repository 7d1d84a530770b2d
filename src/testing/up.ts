// `import { up } from 'bun-pm/testing'`: the workspace up for a test suite, as a typed object, gone (and checked gone) after.
//
// It runs `bun-pm run` with a command that holds until `down()`: the workers are on a private
// daemon with run's guarantees (a watchdog ends everything if the test process dies). Only
// node: APIs here, so it works under bun test, Node's test runner and vitest alike. Its exported
// types name nothing of @types/node or @types/bun: a project's tsc reads them from dist/testing/up.d.ts.
/// <reference lib="esnext.disposable" preserve="true" />

import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ownFile, packageRoot } from '../bun-pm-files.ts'
import { addressKey } from '../run/addresses.ts'
import { didYouMean } from '../model/suggest.ts'
import { type LogEntry, mergeByTime, toEntries } from '../report/log-query.ts'
import { cmdlineOf, isAlive, pidsWithEnvironment } from '../os/processes.ts'
import type { StatusRow } from '../types/json.ts'

export interface UpOptions {
  /** The folder of pm.config.ts. @default process.cwd() */
  cwd?: string
  workers?: string[]
  group?: string
  /** Whose `$<env>` overrides apply (as `start --env`). */
  env?: string
  /** How long the workers have to be ready. @default 30_000 */
  timeoutMs?: number
  /** The workers' lines on this process's stderr while the tests run (they are in `logs()` either way). */
  logs?: boolean
}

/** A signal by name, as Node's `process.kill` takes it: 'SIGTERM', 'SIGINT', 'SIGKILL', … */
export type SignalName = `SIG${Uppercase<string>}`

/** The workspace, up. `N`: the worker names (`up<'api' | 'worker'>()`); any other is an error that names the closest. */
export interface UpWorkspace<N extends string = string> extends AsyncDisposable {
  /** The run's private PM2 home. */
  readonly home: string
  /** `http://127.0.0.1:3000`: the origin of the worker's http heartbeat. */
  url: (name: N) => string
  /** `127.0.0.1:6379`: the host and port of its tcp heartbeat. */
  address: (name: N) => string
  /** Sends `signal` (SIGKILL by default) to each process of the worker; resolves with their pids. */
  kill: (name: N, signal?: SignalName) => Promise<number[]>
  /** Resolves once every unit of the worker is ready again (a new process, after `kill`). */
  ready: (name: N, timeoutMs?: number) => Promise<void>
  /** The worker's lines so far (stdout and stderr, every unit, in the order written), without time stamps. */
  logs: (name: N) => string[]
  /** The rows `status --json` gives. */
  status: () => Promise<StatusRow[]>
  /** The same rolling replacement as `bun-pm restart --workers=<name>`. */
  restart: (name: N) => Promise<void>
  /** Stops everything; rejects when any process of the workspace is still alive after. */
  down: () => Promise<void>
}

interface Held { home: string, token: string, env: Record<string, string> }

/** The bun-pm CLI as a command: this bun and the sources (a checkout), else the package's launcher (which finds bun). */
function cli(): string[] {
  return process.versions.bun ? [process.execPath, '--no-env-file', ownFile('commands/exec-process')] : [join(packageRoot(), 'bin/bun-pm')]
}

/** What the held command prints once run has every worker ready, then waits for its stdin to close. */
const HOLD = `process.stdout.write(JSON.stringify({ home: process.env.BUN_PM_HOME, token: process.env.BUN_PM_DEV_SESSION, env: Object.fromEntries(Object.entries(process.env).filter(([k]) => /^BUN_PM_(URL|ADDR)_/.test(k))) }) + '\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0)); process.stdin.on('close', () => process.exit(0))`

export async function up<N extends string = string>(options: UpOptions = {}): Promise<UpWorkspace<N>> {
  const cwd = options.cwd ?? process.cwd()
  const flags = [
    ...(options.workers ? [`--workers=${options.workers.join(',')}`] : []),
    ...(options.group ? [`--group=${options.group}`] : []),
    ...(options.env ? [`--env=${options.env}`] : []),
    `--timeout=${Math.ceil((options.timeoutMs ?? 30_000) / 1000)}`,
    ...(options.logs ? ['--logs'] : []),
  ]
  const run = spawn(cli()[0]!, [...cli().slice(1), 'run', ...flags, '--', process.execPath, '-e', HOLD], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
  let stderr = ''
  run.stderr.on('data', (chunk) => {
    stderr += chunk
    if (options.logs)
      process.stderr.write(chunk)
  })
  const exited = new Promise<number | null>(resolve => run.once('exit', code => resolve(code)))
  const held = await new Promise<Held>((resolve, reject) => {
    let out = ''
    run.stdout.on('data', (chunk) => {
      out += chunk
      const end = out.indexOf('\n')
      if (end >= 0)
        resolve(JSON.parse(out.slice(0, end)) as Held)
    })
    void exited.then(code => reject(new Error(`bun-pm could not bring the workspace up (exit ${code}):\n${stderr.split('\n').filter(l => l.startsWith('error') || l.startsWith('  ')).join('\n') || stderr}`)))
  })
  const status = async (): Promise<StatusRow[]> => {
    const [text, code] = await collect(spawn(cli()[0]!, [...cli().slice(1), 'status', '--json'], { cwd, env: { ...process.env, PM2_HOME: held.home } }))
    if (code !== 0)
      throw new Error(`bun-pm status failed: ${text}`)
    return (JSON.parse(text) as { workers: StatusRow[] }).workers
  }
  let names: string[] = (await status()).map(r => r.worker)
  const known = (name: string) => {
    if (!names.includes(name))
      throw new Error(`no worker "${name}" in this workspace${didYouMean(name, names)}; it has ${[...new Set(names)].join(', ')}`)
    return name
  }
  const killed = new Set<number>()
  let down: Promise<void> | undefined

  const ws: UpWorkspace<N> = {
    home: held.home,
    url: name => held.env[addressKey('URL', known(name))] ?? fail(`${name} has no http heartbeat, so it has no URL`),
    address: name => held.env[addressKey('ADDR', known(name))] ?? fail(`${name} has no tcp heartbeat, so it has no address`),
    async kill(name, signal = 'SIGKILL') {
      known(name)
      const pids = (await status()).filter(r => r.worker === name && r.pid !== null).map(r => r.pid!)
      for (const pid of pids) {
        killed.add(pid)
        process.kill(pid, signal)
      }
      return pids
    },
    async ready(name, timeoutMs = 30_000) {
      known(name)
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const rows = (await status()).filter(r => r.worker === name)
        if (rows.length > 0 && rows.every(r => r.health === 'ready' && r.pid !== null && !killed.has(r.pid)))
          return
        if (Date.now() > deadline)
          throw new Error(`${name} is not ready after ${timeoutMs} ms: ${rows.map(r => `${r.name} ${r.status} ${r.health}${r.reason ? ` (${r.reason})` : ''}`).join('; ')}`)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    },
    logs(name) {
      known(name)
      const dir = join(held.home, 'logs')
      const file = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(-\\d+)?-(out|error)\\.log(\\.\\d+)?$`)
      const lists: LogEntry[][] = readdirSync(dir).filter(f => file.test(f)).sort((a, b) => rotation(b) - rotation(a)).map(f =>
        toEntries(readFileSync(join(dir, f), 'utf8').split('\n'), { worker: name, unit: name, stream: f.includes('-error.log') ? 'err' : 'out' }))
      return mergeByTime(lists).map(e => e.text)
    },
    status,
    async restart(name) {
      const [text, code] = await collect(spawn(cli()[0]!, [...cli().slice(1), 'restart', `--workers=${known(name)}`], { cwd, env: { ...process.env, PM2_HOME: held.home, NO_COLOR: '1' } }))
      if (code !== 0)
        throw new Error(`bun-pm restart --workers=${name} failed: ${text}`)
      names = (await status()).map(r => r.worker)
    },
    down: () => (down ??= (async () => {
      run.stdin.end()
      let timer: ReturnType<typeof setTimeout> | undefined
      const code = await Promise.race([exited, new Promise((resolve) => {
        timer = setTimeout(resolve, 30_000, 'timeout')
      })])
      // Nothing of up() keeps the test process alive after down().
      clearTimeout(timer)
      if (code === 'timeout')
        run.kill('SIGKILL')
      // Whatever still runs in the workspace's name is a leak: a worker's child that outlived it.
      const left = pidsWithEnvironment([`PM2_HOME=${held.home}`, `BUN_PM_DEV_SESSION=${held.token}`]).filter(pid => pid !== process.pid && isAlive(pid))
      if (left.length > 0)
        throw new Error(`still alive after down(): ${left.map(pid => `pid ${pid} (${cmdlineOf(pid).slice(0, 80)})`).join(', ')}`)
      if (code !== 0 && code !== 'timeout')
        throw new Error(`bun-pm run ended with ${code}:\n${stderr}`)
    })()),
    [Symbol.asyncDispose]: () => ws.down(),
  }
  return ws
}

function fail(message: string): never {
  throw new Error(message)
}

function rotation(file: string): number {
  const n = /\.log\.(\d+)$/.exec(file)
  return n ? Number(n[1]) : 0
}

function collect(child: ReturnType<typeof spawn>): Promise<[string, number | null]> {
  let text = ''
  child.stdout?.on('data', chunk => (text += chunk))
  child.stderr?.on('data', chunk => (text += chunk))
  // 'close', not 'exit': the output is all read only once its pipes have closed.
  return new Promise(resolve => child.once('close', code => resolve([text, code])))
}
