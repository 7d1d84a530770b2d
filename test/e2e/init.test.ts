import { afterAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BUN, runCli } from '../helpers/cli.ts'
import { freePorts } from '../helpers/net.ts'
import { makeWorkspace, type TempWorkspace } from '../helpers/workspace.ts'
import { allPids, environOf } from '../../src/os/processes.ts'

// `init --from` writes a pm.config.ts that the real CLI then loads: `explain` reads it as `dev`
// would, types, validation and all; `run` brings a converted Procfile up on a private daemon.
const made: TempWorkspace[] = []
afterAll(() => made.forEach(ws => ws.remove()))

function project(files: Record<string, string>): TempWorkspace {
  const ws = makeWorkspace(files)
  made.push(ws)
  return ws
}

/** Every process whose environment names a run's PM2 home: its daemon, workers, agent, command. */
const processesOf = (home: string) => allPids().filter(pid => environOf(pid).some(e => e === `PM2_HOME=${home}` || e === `BUN_PM_HOME=${home}`))

/**
 * The converted workspace up under `bun-pm run`, whose command asks each port for its answer
 * (retrying while the servers start): the run's PM2 home and the answers, in port order.
 */
async function askUnderRun(root: string, ports: number[]): Promise<{ home: string, answers: string[] }> {
  const ask = `console.log(process.env.BUN_PM_HOME)
for (const port of ${JSON.stringify(ports)}) {
  for (let i = 0; ; i++) {
    try { console.log(await (await fetch('http://127.0.0.1:' + port + '/')).text()); break }
    catch (error) { if (i === 100) throw error; await Bun.sleep(100) }
  }
}`
  const run = await runCli(['run', '--', BUN, '-e', ask], { cwd: root })
  expect(run.code).toBe(0)
  const [home, ...answers] = run.stdout.trim().split('\n')
  return { home: home!, answers }
}

async function explain(root: string, ...args: string[]) {
  const result = await runCli(['explain', '--json', '--mode=dev', ...args], { cwd: root })
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expect(result.pm2HomeTouched).toBe(false)
  return JSON.parse(result.stdout) as { workers: { name: string, interpreter: string, options: Record<string, unknown>, env: Record<string, { value: string, source: string }> }[] }
}

describe('init --from', () => {
  test('a Procfile of bun and node scripts with $PORT: each worker gets Foreman\'s PORT, in env and in its args, and the config loads', async () => {
    const ws = project({
      'Procfile': 'web: bun run src/server.ts --port $PORT\nworker: NODE_ENV=production node dist/worker.js\njobs: npx bun jobs/index.ts --health-port=${PORT}\n',
      'src/server.ts': 'export default { fetch: () => new Response(\'ok\') }\n',
      'dist/worker.js': 'setInterval(() => {}, 1000)\n',
      'jobs/index.ts': 'setInterval(() => {}, 1000)\n',
    })
    const init = await runCli(['init', '--from', 'Procfile'], { cwd: ws.root })
    expect(init.stderr).toBe('')
    expect(init.code).toBe(0)
    expect(init.pm2HomeTouched).toBe(false)
    expect(init.stdout).toContain('changed: web: `$PORT` is written as 5000 in its args')
    expect(init.stdout).toContain('changed: jobs: `$PORT` is written as 5200 in its args')
    expect(init.stdout).toContain('wrote pm.config.ts')
    // The workers set PORT themselves: the example .env says nothing of it.
    expect(readFileSync(join(ws.root, '.env.example'), 'utf8')).not.toContain('PORT')

    const plan = await explain(ws.root)
    expect(plan.workers.map(w => w.name)).toEqual(['web', 'worker', 'jobs'])
    const [web, worker, jobs] = plan.workers
    expect([web!.interpreter, worker!.interpreter, jobs!.interpreter]).toEqual(['bun', 'node', 'bun'])
    expect(web!.options.args).toEqual(['--port', '5000'])
    expect(jobs!.options.args).toEqual(['--health-port=5200'])
    // explain masks values but NODE_ENV; each PORT is the worker's own.
    expect(plan.workers.map(w => w.env.PORT!.source)).toEqual(['options.env', 'options.env', 'options.env'])
    expect(worker!.env.NODE_ENV!.value).toBe('production')
  }, 30_000)

  test('--from beside an existing pm.config.ts is refused before anything is written; a CommonJS package.json is said (tsc would refuse the config)', async () => {
    const ws = project({ 'Procfile': 'web: bun web.ts\n', 'web.ts': '', 'pm.config.ts': '// mine\n' })
    const refused = await runCli(['init', '--from', 'Procfile'], { cwd: ws.root })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^error: .*pm\.config\.ts exists already, and init never overwrites it: move it away .*init --from Procfile/)
    expect(refused.stdout).toBe('')
    expect(readFileSync(join(ws.root, 'pm.config.ts'), 'utf8')).toBe('// mine\n')

    const cjs = project({ 'Procfile': 'web: bun web.ts\n', 'web.ts': '', 'package.json': '{ "name": "shop", "type": "commonjs" }\n' })
    const init = await runCli(['init', '--from', 'Procfile'], { cwd: cjs.root })
    expect(init.code).toBe(0)
    expect(init.stderr).toContain('note: package.json has no "type": "module"')
    expect(readFileSync(join(cjs.root, 'pm.config.ts'), 'utf8')).toContain('built-in defaults apply where nothing is set: max_memory_restart \'100M\'')
  }, 30_000)

  test('a converted Procfile runs: each server listens on the port Foreman would give it, from its args and its env; nothing is left', async () => {
    // Foreman's base port is .env's PORT: one the OS has free, with the next process type's 100 above it.
    const base = freePorts(101)
    const ws = project({
      '.env': `PORT=${base}\n`,
      'Procfile': 'web: bun run src/server.ts --port $PORT\napi: node dist/api.js --port=${PORT}\n',
      'src/server.ts': 'const port = Number(process.argv[process.argv.indexOf(\'--port\') + 1])\nBun.serve({ hostname: \'127.0.0.1\', port, fetch: () => new Response(`web ${port} ${process.env.PORT}`) })\n',
      'dist/api.js': 'const port = Number(process.argv.find(a => a.startsWith(\'--port=\')).slice(7))\nrequire(\'node:http\').createServer((q, s) => s.end(`api ${port} ${process.env.PORT}`)).listen(port, \'127.0.0.1\')\n',
    })
    expect((await runCli(['init', '--from', 'Procfile'], { cwd: ws.root })).code).toBe(0)
    // The workers are ready a second after they start (no heartbeat); the servers may take a moment more.
    const { home, answers } = await askUnderRun(ws.root, [base, base + 100])
    expect(answers).toEqual([`web ${base} ${base}`, `api ${base + 100} ${base + 100}`])
    expect(processesOf(home)).toEqual([])
  }, 60_000)

  test('an ecosystem file with cluster mode, merged logs and deploy: replicas on ports of their own, which both serve; the rest said', async () => {
    const base = freePorts(2)
    const ws = project({
      'ecosystem.config.cjs': `module.exports = {
  apps: [{
    name: 'api',
    script: './dist/server.js',
    cwd: __dirname,
    exec_mode: 'cluster',
    instances: 2,
    merge_logs: true,
    out_file: './logs/api.log',
    env: { PORT: ${base} },
    env_production: { NODE_ENV: 'production' },
  }],
  deploy: { production: { user: 'deploy', host: 'example.com', 'post-deploy': 'pm2 reload ecosystem.config.cjs --env production' } },
}
`,
      'dist/server.js': 'require(\'node:http\').createServer((q, s) => s.end(`replica ${process.env.NODE_APP_INSTANCE} on ${process.env.PORT}`)).listen(Number(process.env.PORT), \'127.0.0.1\')\n',
    })
    const init = await runCli(['init', '--from', 'ecosystem.config.cjs'], { cwd: ws.root })
    expect(init.stderr).toBe('')
    expect(init.code).toBe(0)
    expect(init.stdout).toContain('not carried over: api: `merge_logs`: ')
    expect(init.stdout).toContain('not carried over: api: `out_file` "./logs/api.log": every replica would write this one file')
    expect(init.stdout).toContain('not carried over: `deploy` (production): bun-pm does not deploy; keep this file for `pm2 deploy ecosystem.config.cjs <target>`')
    expect(init.stdout).toContain('changed: api: `exec_mode: \'cluster\'` with `instances: 2` shared one port; here the replicas run in fork mode, each on its own port')
    const config = readFileSync(join(ws.root, 'pm.config.ts'), 'utf8')
    expect(config).toContain('// - `deploy` (production): bun-pm does not deploy;')
    // `cwd: __dirname` is the project itself: nothing of this machine's paths is written.
    expect(config).not.toContain(ws.root)

    const plan = await explain(ws.root, '--env=production')
    expect(plan.workers.map(w => w.name)).toEqual(['api'])
    const api = plan.workers[0]!
    expect(api.options).toMatchObject({ instances: 2, increment_var: 'PORT', exec_mode: 'fork', cwd: ws.root, script: join(ws.root, 'dist/server.js') })
    expect(api.options.merge_logs).toBeUndefined()
    expect(api.options.out_file).toBeUndefined()
    expect(api.env.NODE_ENV!.value).toBe('production')

    // Both replicas serve: in PM2's fork mode on one port, replica #1 would fail with "port in use".
    const { home, answers } = await askUnderRun(ws.root, [base, base + 1])
    expect(answers).toEqual([`replica 0 on ${base}`, `replica 1 on ${base + 1}`])
    expect(processesOf(home)).toEqual([])
  }, 60_000)
})
