import { describe, expect, test } from 'bun:test'
import { quoteEnvValue, renderCompose } from '../../src/export/compose.ts'
import { renderDockerfile } from '../../src/export/dockerfile.ts'
import { quantity, renderKubernetes } from '../../src/export/kubernetes.ts'
import { dnsLabel, memoryBytes, toExportModel } from '../../src/export/model.ts'
import { heartbeatPort } from '../../src/model/heartbeat.ts'
import { duration } from '../../src/export/shared.ts'
import { cronToCalendar, renderSystemd } from '../../src/export/systemd.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'
import { loadedWorker, loadedWorkspace } from '../helpers/loaded.ts'
import type { LoadedWorker } from '../../src/config/load.ts'
import { toList } from '../../src/model/args.ts'

const FACTS = { bunVersion: '1.4.5', nodeMajor: 20, fileEnv: { DATABASE_URL: 'postgres://secret@db', PORT: '3000' } }

const worker = loadedWorker
const workspace = (workers: LoadedWorker[]) => loadedWorkspace(workers, 'Shop_1')

describe('export: the model', () => {
  test('secrets are the .env files\' values wherever they show up; the exporting shell\'s own variables are left out', () => {
    const w = worker('web', {}, {
      DATABASE_URL: { value: 'postgres://secret@db', source: '.env' },
      COPY: { value: 'postgres://secret@db', source: 'options.env' },
      PORT: { value: '8080', source: 'shell' },
      AWS_PROFILE: { value: 'deploy', source: 'shell' },
      HOME: { value: '/root', source: 'runtime' },
      LOG_LEVEL: { value: 'info', source: 'defaults.env' },
    })
    const [model] = toExportModel(workspace([w]), [w], FACTS).workers
    expect(model!.env).toEqual({ NODE_ENV: 'production', LOG_LEVEL: 'info' })
    // PORT: the shell overrode a .env value, so it is the workspace's, and from .env: a secret.
    // AWS_PROFILE: a shell value passEnv let through, which may be a credential. HOME: the engine's own.
    expect(model!.secrets).toEqual({ DATABASE_URL: 'postgres://secret@db', COPY: 'postgres://secret@db', PORT: '8080', AWS_PROFILE: 'deploy' })
  })

  test('names become DNS labels; two that collide are a one-line error naming both', () => {
    expect([dnsLabel('Primary_Web.server'), dnsLabel('--x--')]).toEqual(['primary-web-server', 'x'])
    expect(toExportModel(workspace([]), [], FACTS).name).toBe('shop-1')
    expect(() => toExportModel(workspace([]), [worker('a_b'), worker('a.b')], FACTS)).toThrow('pm.config.ts: workers "a_b" and "a.b" would both be named "a-b" in an export (lowercase letters, digits and -); rename one')
  })

  test('sizes, durations, quantities and calendars as each engine writes them', () => {
    expect([memoryBytes('100M'), memoryBytes('1G'), memoryBytes('512K'), memoryBytes(2048), memoryBytes('x')]).toEqual([104857600, 1073741824, 524288, 2048, undefined])
    expect([quantity(104857600), quantity(1073741824), quantity(1000)]).toEqual(['100Mi', '1Gi', '1000'])
    expect([duration(1600), duration(5000), duration(90_000), duration(60_000), duration(3_600_000), duration(0)]).toEqual(['1600ms', '5s', '1m30s', '1m', '1h', '0s'])
    expect(cronToCalendar('0 3 * * *')).toEqual(['*-*-* 3:0:00'])
    expect(cronToCalendar('*/15 * * * 1-5')).toEqual(['Mon,Tue,Wed,Thu,Fri *-*-* *:0/15:00'])
    expect(cronToCalendar('0 0 * * 0-4')).toEqual(['Sun,Mon,Tue,Wed,Thu *-*-* 0:0:00'])
    expect(cronToCalendar('30 2 1,15 */2 *')).toEqual(['*-1/2-1,15 2:30:00'])
    // cron: the 1st or a Sunday; systemd: one line each.
    expect(cronToCalendar('30 4 1 * 0')).toEqual(['Sun *-*-* 4:30:00', '*-*-1 4:30:00'])
    expect([cronToCalendar('0 3 * * MON'), cronToCalendar('@daily'), cronToCalendar('0 0 3 * * *')]).toEqual([undefined, undefined, undefined])
    expect([quoteEnvValue('a $b c'), quoteEnvValue('it\'s')]).toEqual(['\'a $b c\'', '"it\'s"'])
  })
})

describe('export: what maps to what', () => {
  const db = worker('db', { heartbeat: 'tcp://127.0.0.1:5432', health: toHealthPolicy('tcp://127.0.0.1:5432', {}) })
  const job = worker('migrate', { options: { autorestart: false } })
  const push = worker('ticker', { heartbeat: '10s', health: toHealthPolicy('10s', {}) })
  const web = worker('web', { dependsOn: ['db', 'migrate', 'ticker'] })
  const model = toExportModel(workspace([db, job, push, web]), [db, job, push, web], FACTS)

  test('compose: depends_on says healthy, completed or started after what the dependency has', () => {
    const compose = renderCompose(model, { image: 'shop:1' })
    expect(compose.files[0]!.content).toContain('depends_on:\n      db:\n        condition: service_healthy\n      migrate:\n        condition: service_completed_successfully\n      ticker:\n        condition: service_started')
    expect(compose.notes).toContain('ticker: its push heartbeat (heartbeat() every 10000 ms) reaches bun-pm through PM2 only; Compose has no check for it (heartbeat() does nothing there)')
  })

  test('kubernetes: a one-shot worker is a Job; a dependency with a port is waited for, one without is said', () => {
    const k8s = renderKubernetes(model, { image: 'shop:1' })
    expect(k8s.files[0]!.content).toMatch(/kind: Job\nmetadata:\n {2}name: migrate/)
    expect(k8s.files[0]!.content).toContain('- name: wait-for-db')
    expect(k8s.notes).toContain('web: depends on migrate, which has no port to wait for; Kubernetes starts both at once')
  })
})

describe('export: what a second review found', () => {
  const secretEnv = { DB_PASSWORD: 's3cret-pw', TOKEN: 'abc' }
  const facts = { ...FACTS, fileEnv: secretEnv }
  const fromFile = (value: string) => ({ value, source: '.env' as const })

  test('a .env value inside another value is a secret; in args or a heartbeat URL it is a one-line error', () => {
    const w = worker('api', {}, { DB_PASSWORD: fromFile('s3cret-pw'), DATABASE_URL: { value: 'postgres://app:s3cret-pw@db/app', source: 'options.env' }, SHORT: { value: 'abc', source: 'options.env' } })
    const [model] = toExportModel(workspace([w]), [w], facts).workers
    expect(Object.keys(model!.secrets).sort()).toEqual(['DATABASE_URL', 'DB_PASSWORD', 'SHORT'])
    const leaky = worker('api', { options: { args: ['--token', 's3cret-pw'] } })
    expect(() => toExportModel(workspace([leaky]), [leaky], facts)).toThrow('pm.config.ts: worker "api": its args hold the value of DB_PASSWORD from .env, which export would write in plain text into the files; pass it to the worker in `env` instead')
  })

  test('Compose: $ is literal, env values are always strings, commands take absolute paths (a worker with cwd)', () => {
    const w = worker('api', { options: { cwd: 'services/api', args: ['--greet', 'hi $USER'] }, scripts: { bun: 'services/api/index.ts' } }, { GREETING: { value: 'cost $5', source: 'options.env' }, MODE: { value: '0o17', source: 'options.env' } })
    const compose = renderCompose(toExportModel(workspace([w]), [w], facts), { image: 'x' }).files[0]!.content
    expect(compose).toContain('GREETING: "cost $$5"')
    expect(compose).toContain('MODE: "0o17"')
    expect(compose).toContain('- /app/services/api/index.ts')
    expect(compose).toContain('- hi $$USER')
    expect(compose).toContain('working_dir: /app/services/api')
  })

  test('ports, names, argument lists and images as the engines want them', () => {
    expect([heartbeatPort({ kind: 'http', url: 'https://x/health' }), heartbeatPort({ kind: 'http', url: 'http://x/' }), heartbeatPort({ kind: 'tcp', host: 'x', port: 5 })]).toEqual([443, 80, 5])
    expect(dnsLabel('2fa')).toBe('w-2fa')
    expect(toList('--name \'John Doe\' -v')).toEqual(['--name', 'John Doe', '-v'])
    const long = worker('a'.repeat(60))
    const dependent = worker('web', { dependsOn: [long.name] }, { PORT: { value: '80', source: 'options.env' } })
    const withPort = { ...long, env: { PORT: { value: '81', source: 'options.env' as const } } }
    const k8s = renderKubernetes(toExportModel(workspace([withPort, dependent]), [withPort, dependent], facts), { image: 'x' }).files[0]!.content
    const names = [...k8s.matchAll(/- name: (wait-for-\S+)/g)].map(m => m[1]!)
    expect(names).toHaveLength(1)
    expect(names[0]!.length).toBeLessThanOrEqual(63)
    const [dockerfile, ignore] = renderDockerfile(toExportModel(workspace([]), [], facts), 'compose', 'npm', '.', ['*.pem'])
    expect(dockerfile!.content).toContain('COPY --from=oven/bun:1.4.5 /usr/local/bin/bun /usr/local/bin/bun')
    expect(ignore!.content).toContain('*.pem\n')
    expect(ignore!.content).toContain('**/secrets.env\n')
  })

  test('systemd: a one-shot worker is Type=oneshot; a multi-line secret keeps its newlines; uid and gid carry', () => {
    const job = worker('migrate', { options: { autorestart: false, uid: 'app', gid: 'app' } as LoadedWorker['options'] }, { PEM: fromFile('-----BEGIN-----\nAAA\n-----END-----') })
    const model = toExportModel(workspace([job]), [job], { ...facts, fileEnv: { PEM: '-----BEGIN-----\nAAA\n-----END-----' } })
    const { files } = renderSystemd(model, { interpreters: { bun: '/usr/bin/bun' }, outDir: '/etc/shop' })
    const unit = files.find(f => f.path.endsWith('migrate.service'))!.content
    expect(unit).toContain('Type=oneshot\nRemainAfterExit=yes\nUser=app\nGroup=app')
    expect(unit).not.toContain('ExecStartPost')
    expect(files.find(f => f.path.endsWith('.env'))!.content).toContain(`PEM='-----BEGIN-----\nAAA\n-----END-----'`)
  })
})
