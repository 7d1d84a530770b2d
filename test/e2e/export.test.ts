import { afterAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { checkProgram, waitProgram } from '../../src/export/shared.ts'
import { BUN, runCli } from '../helpers/cli.ts'
import { fetchUntil, fixture } from '../helpers/dev-session.ts'
import { freePort, freePorts } from '../helpers/net.ts'
import { withHome } from '../helpers/pm2-home.ts'
import { composeErrors, kubernetesErrors, systemdErrors } from '../helpers/validators.ts'
import { exampleWorkspace, type TempWorkspace, tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
const examples: TempWorkspace[] = []
afterAll(() => {
  workspaces.removeAll()
  examples.forEach(ws => ws.remove())
})

const SECRET = 'postgres://app:s3cret-pass@db/app'

/** A worker that answers with what it was given: its replica index, a secret, a copied secret, a plain variable. */
const REPORT_ENV = `Bun.serve({ port: Number(process.env.PORT), fetch: () => new Response('env ' + JSON.stringify({ instance: process.env.NODE_APP_INSTANCE, db: process.env.DATABASE_URL, copy: process.env.DB_URL_COPY, log: process.env.LOG_LEVEL, env: process.env.NODE_ENV })) })\n`

/** Every field export maps: http, tcp and push heartbeats, dependsOn of each kind, replicas with increment_var, limits, a one-shot job, cron_restart, plain and .env variables. */
function everyField(): { ws: TempWorkspace, api: number, db: number } {
  const api = freePorts(3)
  const db = freePort()
  const ws = workspaces.make(`{
    defaults: { env: { LOG_LEVEL: 'info' } },
    workers: [
      { name: 'db', bun: 'db.ts', heartbeat: 'tcp://127.0.0.1:${db}', options: { env: { PORT: '${db}' }, kill_timeout: 5000 } },
      { name: 'api', bun: 'api.ts', heartbeat: 'http://127.0.0.1:${api}/health', dependsOn: ['db', 'migrate'],
        options: { instances: 3, increment_var: 'PORT', env: { PORT: '${api}', DB_URL_COPY: process.env.DATABASE_URL }, max_memory_restart: '256M', kill_timeout: 90000,
          health: { interval: '10s', timeout: '3s', failures: 4, grace: '1m' }, stop_exit_codes: [3] } },
      { name: 'migrate', node: 'migrate.js', options: { interpreter: 'node', autorestart: false } },
      { name: 'ticker', bun: 'ticker.ts', heartbeat: '10s', dependsOn: ['api'], options: { cron_restart: '0 3 * * 1-5', max_restarts: 2, min_uptime: '5s', restart_delay: 2000 } },
    ],
    $production: { defaults: { env: { LOG_LEVEL: 'warn' } } },
  }`, {
    '.env': `DATABASE_URL=${SECRET}\nAPI_KEY='k$y with space'\n`,
    'db.ts': fixture('serve.ts'),
    'api.ts': REPORT_ENV,
    'migrate.js': `console.log('migrated')\n`,
    'ticker.ts': fixture('forever.ts'),
  })
  return { ws, api, db }
}

async function exportTo(ws: TempWorkspace, to: string, extra: string[] = []): Promise<{ code: number, stdout: string, stderr: string, dir: string, files: string[] }> {
  const dir = join(ws.root, `deploy-${to}`)
  const result = await runCli(['export', `--to=${to}`, `--out=${dir}`, ...extra], { cwd: ws.root })
  let files: string[] = []
  try {
    files = readdirSync(dir).sort()
  }
  catch {}
  return { ...result, dir, files }
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8)

describe('export: checked by the engines\' own validators', () => {
  for (const [label, make] of [['the example workspace', () => {
    const ws = exampleWorkspace()
    examples.push(ws)
    return ws
  }], ['a workspace with every mapped field', () => everyField().ws]] as const) {
    test.concurrent(`compose: ${label} passes the Compose Specification's schema; secrets only in secrets.env (0600)`, async () => {
      const ws = make()
      const out = await exportTo(ws, 'compose')
      expect(out.stderr).not.toContain('error')
      expect(out.code).toBe(0)
      const compose = readFileSync(join(out.dir, 'compose.yaml'), 'utf8')
      expect(composeErrors(compose)).toEqual([])
      expect(out.files).toContain('Dockerfile')
      expect(compose).not.toContain('s3cret')
      if (out.files.includes('secrets.env')) {
        expect(mode(join(out.dir, 'secrets.env'))).toBe('600')
        expect(readFileSync(join(out.dir, 'secrets.env'), 'utf8')).toContain(`DATABASE_URL='${SECRET}'`)
      }
    }, 90_000)

    test.concurrent(`kubernetes: ${label} passes the Kubernetes API schemas, unknown fields included; secrets only in secrets.yaml (0600)`, async () => {
      const ws = make()
      const out = await exportTo(ws, 'kubernetes')
      expect(out.code).toBe(0)
      const manifests = readFileSync(join(out.dir, 'kubernetes.yaml'), 'utf8')
      expect(kubernetesErrors(manifests)).toEqual([])
      expect(manifests).not.toContain('s3cret')
      if (out.files.includes('secrets.yaml')) {
        expect(mode(join(out.dir, 'secrets.yaml'))).toBe('600')
        expect(kubernetesErrors(readFileSync(join(out.dir, 'secrets.yaml'), 'utf8'))).toEqual([])
      }
    }, 90_000)

    test.concurrent(`systemd: ${label} passes systemd-analyze verify; secrets only in EnvironmentFile= (0600)`, async () => {
      const ws = make()
      const out = await exportTo(ws, 'systemd')
      expect(out.code).toBe(0)
      const units = out.files.filter(f => /\.(service|target|timer)$/.test(f)).map(f => join(out.dir, f))
      const errors = systemdErrors(units)
      // Outside CI a machine without systemd skips the check and says so; CI must run it (.ci/run installs it).
      if (errors === undefined && !process.env.CI)
        console.warn('SKIPPED: systemd-analyze is not installed here; `apt-get install systemd` to check the units')
      else
        expect(errors).toEqual([])
      for (const unit of units)
        expect(readFileSync(unit, 'utf8')).not.toContain('s3cret')
      for (const env of out.files.filter(f => f.endsWith('.env')))
        expect(mode(join(out.dir, env))).toBe('600')
    }, 90_000)
  }
})

describe('export: what each target says', () => {
  test.concurrent('every mapped field, as each engine says it', async () => {
    const { ws, api } = everyField()
    const compose = readFileSync(join((await exportTo(ws, 'compose')).dir, 'compose.yaml'), 'utf8')
    // dependsOn: healthy for a checked dependency, completed for a one-shot job.
    expect(compose).toMatch(/depends_on:\n {6}db:\n {8}condition: service_healthy\n {6}migrate:\n {8}condition: service_completed_successfully/)
    expect(compose).toContain('replicas: 3')
    expect(compose).toContain('memory: 268435456b')
    expect(compose).toContain('stop_grace_period: 1m30s')
    expect(compose).toContain(`fetch("http://127.0.0.1:${api}/health"`)
    expect(compose).toMatch(/migrate:[\s\S]*?restart: "no"/)

    const k8sOut = await exportTo(ws, 'kubernetes')
    const k8s = readFileSync(join(k8sOut.dir, 'kubernetes.yaml'), 'utf8')
    expect(k8s).toMatch(/kind: Job\nmetadata:\n {2}name: migrate/)
    expect(k8s).toContain('memory: 256Mi')
    expect(k8s).toContain('terminationGracePeriodSeconds: 90')
    expect(k8s).toContain('name: wait-for-db')
    expect(k8s).toMatch(/livenessProbe:\n {12}httpGet:\n {14}path: \/health\n {14}port: \d+\n {14}scheme: HTTP\n {12}periodSeconds: 10\n {12}timeoutSeconds: 3\n {12}failureThreshold: 4/)
    expect(k8sOut.stderr).toContain('note: ticker: cron_restart \'0 3 * * 1-5\' does not carry to Kubernetes')

    const systemd = await exportTo(ws, 'systemd')
    expect(systemd.files).toEqual(expect.arrayContaining([`${ws.root.split('/').at(-1)!.toLowerCase()}.target`]))
    const apiUnit = readFileSync(join(systemd.dir, systemd.files.find(f => f.endsWith('-api@.service'))!), 'utf8')
    expect(apiUnit).toContain(`ExecStart=/bin/sh -c "export PORT=$$((${api} + %i)); exec \\"$$0\\" \\"$$@\\""`)
    expect(apiUnit).toContain('Environment=NODE_APP_INSTANCE=%i')
    expect(apiUnit).toMatch(/Requires=\S+-db\.service \S+-migrate\.service/)
    expect(apiUnit).toContain('MemoryMax=268435456')
    expect(apiUnit).toContain('TimeoutStopSec=1m30s')
    expect(apiUnit).toContain('RestartPreventExitStatus=3')
    const timer = readFileSync(join(systemd.dir, systemd.files.find(f => f.endsWith('-cron-restart.timer'))!), 'utf8')
    expect(timer).toContain('OnCalendar=Mon,Tue,Wed,Thu,Fri *-*-* 3:0:00')
  }, 90_000)

  test.concurrent('one file goes to stdout; more than one without --out is a one-line error, and nothing is written', async () => {
    const { ws } = everyField()
    const pm2 = await runCli(['export', '--to=pm2'], { cwd: ws.root })
    expect(pm2.code).toBe(0)
    expect(pm2.stdout).toStartWith('// Written by `bun-pm export --to=pm2` from pm.config.ts (environment: production).')
    expect(pm2.stdout).not.toContain('s3cret')
    const compose = await runCli(['export', '--to=compose'], { cwd: ws.root })
    expect(compose.code).toBe(1)
    expect(compose.stderr.trim()).toBe('error: export --to=compose writes 5 files (compose.yaml, secrets.env, secrets-api.env, Dockerfile, Dockerfile.dockerignore); pass --out=<folder> to write them')
    expect(readdirSync(ws.root)).not.toContain('compose.yaml')
    const bad = await runCli(['export', '--to=nomad'], { cwd: ws.root })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('nomad')
  }, 90_000)
})

describe('export --to=pm2: plain PM2 runs what bun start runs', () => {
  test.concurrent('pm2 start ecosystem.config.cjs: the same workers answer with the same variables as under bun start', async () => {
    const { ws, api, db } = everyField()
    const out = await exportTo(ws, 'pm2')
    expect(out.code).toBe(0)
    const answers = async () => {
      const replies: string[] = []
      for (const port of [api, api + 1, api + 2])
        replies.push((await fetchUntil(port, 'env ', 15_000))!.replace(/^env /, ''))
      expect(await fetchUntil(db, 'hello ', 15_000)).toStartWith('hello ')
      return replies.map(text => JSON.parse(text))
    }
    let plain: unknown[] = []
    await withHome(async (h) => {
      const started = h.pm2(['start', join(out.dir, 'ecosystem.config.cjs')])
      expect(started.code).toBe(0)
      plain = await answers()
      h.pm2(['kill'])
    })
    expect(plain).toEqual([0, 1, 2].map(i => ({ instance: String(i), db: SECRET, copy: SECRET, log: 'warn', env: 'production' })))
    await withHome(async (h) => {
      const started = await h.cli(['start', '--workers=api'], { cwd: ws.root })
      expect(`${started.stdout}${started.stderr}exit ${started.code}`).toEndWith('exit 0')
      expect(await answers()).toEqual(plain)
    })
  }, 60_000)
})

describe('export: the generated checks check', () => {
  test.concurrent('a healthcheck passes against a server that answers 2xx, fails against a 500 and a closed port; a wait waits', async () => {
    const ok = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('ok') })
    const failing = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('no', { status: 500 }) })
    const closed = freePort()
    const run = async (program: string, env: Record<string, string> = {}) => Bun.spawn([BUN, '-e', program], { env: { ...process.env, ...env }, stdout: 'ignore', stderr: 'ignore' }).exited
    try {
      const http = (port: number) => ({ kind: 'http' as const, url: `http://127.0.0.1:${port}/health` })
      expect(await run(checkProgram(http(ok.port!), 2000))).toBe(0)
      expect(await run(checkProgram(http(failing.port!), 2000))).toBe(1)
      expect(await run(checkProgram(http(closed), 2000))).toBe(1)
      expect(await run(checkProgram({ kind: 'tcp', host: '127.0.0.1', port: ok.port! }, 2000))).toBe(0)
      expect(await run(checkProgram({ kind: 'tcp', host: '127.0.0.1', port: closed }, 2000))).toBe(1)
      // A replica's wait takes its port from its variable.
      expect(await run(waitProgram(http(closed), 2000, { portFrom: 'PORT' }), { PORT: String(ok.port) })).toBe(0)
    }
    finally {
      ok.stop(true)
      failing.stop(true)
    }
  }, 90_000)
})
