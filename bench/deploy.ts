// Deploys under load: N clients request a workspace without pause while it is deployed (a
// changed .env value, then `bun start`; or `restart`), against PM2 7 as an expert runs the same
// (`pm2 reload` of an ecosystem file, fork mode: the only mode that runs bun). Counts requests
// sent and failed, and times each deploy. The clients are Node's fetch (undici), which reports a
// keep-alive connection closed under a request where Bun's fetch retries it. `bun
// bench/deploy.ts [runs]` runs it alone.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { median, ms, PM2_CLI, REPO, stopHome, tempDir, write } from './lib.ts'
import { BUILT, freeLowPorts } from './start.ts'
import { type ClientMode, loadPort } from '../test/helpers/load.ts'

const BUN_LINK = join(REPO, 'node_modules/.bin/bun')

/** A server served with bun-pm's `serve`: it shares its port (reusePort), says its version, and drains on SIGTERM. What a team deploys. */
const SHARED_SERVER = `import { serve } from '${join(REPO, 'src/index.ts')}'
serve({ port: Number(process.env.PORT), hostname: '127.0.0.1',
  fetch: req => new URL(req.url).pathname === '/health' ? new Response('ok') : new Response(\`\${process.env.VERSION} \${process.pid}\`) })
`
/** The same server stopped at once (`server.stop()` on SIGTERM): what the README warns against, measured. */
const STOPPED_AT_ONCE = `const server = Bun.serve({ port: Number(process.env.PORT), hostname: '127.0.0.1', reusePort: true,
  fetch: req => new URL(req.url).pathname === '/health' ? new Response('ok') : new Response(\`\${process.env.VERSION} \${process.pid}\`) })
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => void server.stop().then(() => process.exit(0)))
`
/** The same as Bun's docs write it: a default export (bun-pm's entry serves it; PM2's container would not). */
const DEFAULT_EXPORT = `export default { port: Number(process.env.PORT), hostname: '127.0.0.1',
  fetch: (req: Request) => new URL(req.url).pathname === '/health' ? new Response('ok') : new Response(\`\${process.env.VERSION} \${process.pid}\`) }
`

export type DeployCase = 'instances: 2, reusePort' | 'one process, default export' | 'restart' | 'instances: 2, server.stop() at once'
export const CASES: DeployCase[] = ['instances: 2, reusePort', 'one process, default export', 'restart', 'instances: 2, server.stop() at once']
type Tool = 'bun-pm' | 'pm2 reload'

export interface DeploySample {
  sent: number
  failed: number
  errors: string[]
  /** The deploy command, from its start until it exited. */
  deployMs: number
  /** bun-pm: the same command with nothing to change (what the command costs by itself). */
  unchangedMs?: number
  /** bun-pm: each unit's new process until it was judged ready, and its old one's drain, from the trace. */
  units?: { readyMs: number, drainMs: number }[]
}

/** Each unit's spawn → ready → old gone, from a BUN_PM_TRACE file of the deploy. */
function unitTimes(path: string): { readyMs: number, drainMs: number }[] {
  let text = ''
  try {
    text = readFileSync(path, 'utf8')
  }
  catch {
    return []
  }
  const at = new Map<string, number>()
  for (const line of text.trim().split('\n')) {
    const match = /^(\d+(?:\.\d+)?) \d+ launcher (\S+): (new process \d+ spawned|new process ready|old process gone)$/.exec(line)
    if (match)
      at.set(`${match[2]} ${match[3]!.replace(/ \d+ /, ' ')}`, Number(match[1]))
  }
  const units = [...new Set([...at.keys()].map(key => key.split(' ')[0]!))]
  return units.flatMap((unit) => {
    const [spawned, ready, gone] = ['new process spawned', 'new process ready', 'old process gone'].map(what => at.get(`${unit} ${what}`))
    return spawned !== undefined && ready !== undefined && gone !== undefined ? [{ readyMs: ready - spawned, drainMs: gone - ready }] : []
  })
}

const run = async (cmd: string[], cwd: string, env: Record<string, string>) => {
  const proc = Bun.spawn(cmd, { cwd, env, stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  if (code !== 0)
    throw new Error(`${cmd.join(' ')} exited ${code}: ${out}${err}`)
  return out
}

/** One deploy of `kind` by `tool` under load, in a fresh workspace and PM2 home. */
export async function deployOnce(tool: Tool, kind: DeployCase, { clients = 8, mode = 'keep-alive' as ClientMode } = {}): Promise<DeploySample> {
  const dir = tempDir('bun-pm-bench-deploy-')
  const home = join(dir.path, '.pm2')
  const port = freeLowPorts(1)[0]!
  const env = { ...process.env as Record<string, string>, PM2_HOME: home, PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` }
  const single = kind === 'one process, default export'
  try {
    write(join(dir.path, 'server.ts'), single && tool === 'bun-pm' ? DEFAULT_EXPORT : kind === 'instances: 2, server.stop() at once' ? STOPPED_AT_ONCE : SHARED_SERVER)
    write(join(dir.path, '.env'), 'VERSION=v1\n')
    write(join(dir.path, 'pm.config.ts'), `export default { workers: [{ name: 'web', bun: 'server.ts', heartbeat: 'http://127.0.0.1:${port}/health', options: { ${single ? '' : 'instances: 2, '}env: { PORT: '${port}' } } }] }\n`)
    const ecosystem = (version: string) => `module.exports = { apps: [{ name: 'web', script: 'server.ts', interpreter: '${BUN_LINK}', exec_mode: 'fork', instances: ${single ? 1 : 2}, pmx: false, automation: false, kill_timeout: 1600, env: { PORT: '${port}', VERSION: '${version}' } }] }\n`
    write(join(dir.path, 'ecosystem.config.cjs'), ecosystem('v1'))
    const bunPm = (command: string) => [process.execPath, '--no-env-file', BUILT, command]
    if (tool === 'bun-pm')
      await run(bunPm('start'), dir.path, env)
    else
      await run(['node', PM2_CLI, 'start', 'ecosystem.config.cjs'], dir.path, env)
    await waitFor(port, 'v1 ')
    const load = await loadPort(port, { clients, mode })
    await Bun.sleep(500)
    const trace = join(dir.path, 'trace.log')
    const began = performance.now()
    if (tool === 'bun-pm') {
      if (kind !== 'restart')
        write(join(dir.path, '.env'), 'VERSION=v2\n')
      await run(bunPm(kind === 'restart' ? 'restart' : 'start'), dir.path, { ...env, BUN_PM_TRACE: trace })
    }
    else {
      // An expert's zero-downtime deploy with PM2: reload the ecosystem file with the new environment.
      write(join(dir.path, 'ecosystem.config.cjs'), ecosystem('v2'))
      await run(['node', PM2_CLI, 'reload', 'ecosystem.config.cjs', '--update-env'], dir.path, env)
    }
    const deployMs = performance.now() - began
    await Bun.sleep(500)
    const result = await load.stop()
    if (kind !== 'restart' && !(await body(port))?.startsWith('v2 '))
      throw new Error(`${tool} ${kind}: the new version does not answer`)
    if (tool !== 'bun-pm')
      return { ...result, deployMs }
    const unchangedAt = performance.now()
    await run(bunPm('start'), dir.path, env)
    return { ...result, deployMs, unchangedMs: performance.now() - unchangedAt, units: unitTimes(trace) }
  }
  finally {
    await stopHome(home)
    rmSync(dir.path, { recursive: true, force: true })
  }
}

async function body(port: number): Promise<string | undefined> {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/`)).text()
  }
  catch {
    return undefined
  }
}

async function waitFor(port: number, prefix: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!(await body(port))?.startsWith(prefix)) {
    if (Date.now() > deadline)
      throw new Error(`port ${port} never answered ${prefix}`)
    await Bun.sleep(20)
  }
}

/**
 * What a unit's replacement cannot go below: a new server process's time until it answers, and
 * an old one's drain (SIGTERM until it has exited), measured on the same server without a manager.
 */
export async function unitFloor(runs: number): Promise<{ readyMs: number, drainMs: number }> {
  const dir = tempDir('bun-pm-bench-floor-')
  write(join(dir.path, 'server.ts'), SHARED_SERVER)
  const ready: number[] = []
  const drain: number[] = []
  try {
    for (let i = 0; i < runs; i++) {
      const [port] = freeLowPorts(1)
      const began = performance.now()
      const proc = Bun.spawn([process.execPath, 'server.ts'], { cwd: dir.path, env: { ...process.env, PORT: String(port), VERSION: 'v' }, stdout: 'ignore' })
      await waitFor(port!, 'v ')
      ready.push(performance.now() - began)
      const stopping = performance.now()
      proc.kill('SIGTERM')
      await proc.exited
      drain.push(performance.now() - stopping)
    }
  }
  finally {
    dir.remove()
  }
  return { readyMs: median(ready), drainMs: median(drain) }
}

export interface DeployRow {
  tool: Tool
  kind: DeployCase
  mode: ClientMode
  runs: number
  sent: number
  failed: number
  errors: string[]
  deployMs: number
  /** bun-pm, medians: the command with nothing to change, and the sum over units of new-ready + old-drain. */
  unchangedMs?: number
  unitsMs?: number
}

/** Every case, for both tools, `runs` times each (interleaved), summed requests and the median deploy time. */
export async function benchDeploy(runs: number, modes: ClientMode[] = ['keep-alive', 'new connection']): Promise<DeployRow[]> {
  const rows: DeployRow[] = []
  for (const mode of modes) {
    for (const kind of CASES) {
      const samples: Record<Tool, DeploySample[]> = { 'bun-pm': [], 'pm2 reload': [] }
      for (let i = 0; i < runs; i++) {
        samples['bun-pm'].push(await deployOnce('bun-pm', kind, { mode }))
        // PM2's reload is the same command for a changed env and for none: its case (c) is case (a) again.
        if (kind !== 'restart')
          samples['pm2 reload'].push(await deployOnce('pm2 reload', kind, { mode }))
      }
      for (const tool of ['bun-pm', 'pm2 reload'] as Tool[]) {
        const list = samples[tool]
        if (list.length === 0)
          continue
        const bunPm = tool === 'bun-pm' ? { unchangedMs: median(list.map(s => s.unchangedMs!)), unitsMs: median(list.map(s => (s.units ?? []).reduce((n, u) => n + u.readyMs + u.drainMs, 0))) } : {}
        rows.push({ tool, kind, mode, runs: list.length, sent: list.reduce((n, s) => n + s.sent, 0), failed: list.reduce((n, s) => n + s.failed, 0), errors: [...new Set(list.flatMap(s => s.errors))], deployMs: median(list.map(s => s.deployMs)), ...bunPm })
      }
    }
  }
  return rows
}

/** The rows as a markdown table. */
export function deployTable(rows: DeployRow[]): string[] {
  const extra = (r: DeployRow) => r.unchangedMs === undefined
    ? '– | – | –'
    : `${ms(r.unchangedMs)} | ${ms(r.unitsMs!)} | ${ms(r.deployMs - r.unchangedMs - r.unitsMs!)}`
  return [
    '| clients | case | tool | runs | requests sent | failed | errors | deploy (median) | the command unchanged | Σ units: new ready + old drain | the rest |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(r => `| ${r.mode} | ${r.kind} | ${r.tool === 'bun-pm' ? `bun-pm ${r.kind === 'restart' ? '`restart`' : '`start`'}` : '`pm2 reload --update-env`'} | ${r.runs} | ${r.sent} | ${r.failed} | ${r.errors.join(', ') || '–'} | ${ms(r.deployMs)} | ${extra(r)} |`),
  ]
}

const MIGRATE_REQ = '/proc/sys/net/ipv4/tcp_migrate_req'

/** Whether the kernel hands a closing listener's queued connections to another one (net.ipv4.tcp_migrate_req). */
export function migratesRequests(): boolean | undefined {
  try {
    return readFileSync(MIGRATE_REQ, 'utf8').trim() === '1'
  }
  catch {
    return undefined
  }
}

/**
 * The new-connection rows again with net.ipv4.tcp_migrate_req=1 (Linux 5.14+), where this run may
 * set it (root), restored afterwards: what connection-per-request clients see on a tuned host.
 */
export async function withMigration<T>(fn: () => Promise<T>): Promise<T | undefined> {
  if (migratesRequests() !== false || process.getuid?.() !== 0)
    return undefined
  try {
    writeFileSync(MIGRATE_REQ, '1')
  }
  catch {
    return undefined
  }
  try {
    return await fn()
  }
  finally {
    writeFileSync(MIGRATE_REQ, '0')
  }
}

if (import.meta.main) {
  const runs = Number(process.argv[2] ?? 3)
  if (Bun.spawnSync([process.execPath, 'run', 'build'], { cwd: REPO, stdout: 'ignore' }).exitCode !== 0)
    throw new Error('bun run build failed')
  console.log(`net.ipv4.tcp_migrate_req: ${migratesRequests()}`)
  console.log(deployTable(await benchDeploy(runs)).join('\n'))
  const migrated = await withMigration(() => benchDeploy(runs, ['new connection']))
  if (migrated)
    console.log(`with net.ipv4.tcp_migrate_req=1:\n${deployTable(migrated).join('\n')}`)
  const floor = await unitFloor(5)
  console.log(`a new server until it answers: ${ms(floor.readyMs)}; an old one's drain: ${ms(floor.drainMs)}`)
}
