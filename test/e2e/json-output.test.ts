// `--json` where a script parses the output: export, init and dev.
import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { DevEventJson, DevJsonLine, ExportJson, InitJson, LogLineJson } from '../../src/types/json.ts'
import { runCli } from '../helpers/cli.ts'
import { fixture, freePort, startDev, stopDev, stopLeftoverRuns } from '../helpers/dev-session.ts'
import { composeErrors } from '../helpers/validators.ts'
import { makeWorkspace, type TempWorkspace, tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
const made: TempWorkspace[] = []
afterEach(stopLeftoverRuns)
afterAll(() => {
  workspaces.removeAll()
  made.forEach(ws => ws.remove())
})

/** A web server with an http heartbeat that reaches Redis on 127.0.0.1, and a Redis-like server bound there; a .env secret. */
function webAndRedis(): { ws: TempWorkspace, web: number, redis: number } {
  const web = freePort()
  const redis = freePort()
  const ws = workspaces.make(`{ workers: [
    { name: 'redis', bun: 'redis.ts', heartbeat: 'tcp://127.0.0.1:${redis}', options: { env: { PORT: '${redis}', HOST: '127.0.0.1' } } },
    { name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${web}/health', dependsOn: ['redis'], options: { env: { PORT: '${web}', REDIS_URL: 'redis://127.0.0.1:${redis}' } } },
    { name: 'admin', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${web + 1}/health', options: { env: { PORT: '${web + 1}' }, publish: '0.0.0.0:8080' } },
  ] }`, { '.env': 'SESSION_KEY=s3cret-key\n', 'redis.ts': fixture('serve.ts'), 'web.ts': fixture('serve.ts') })
  return { ws, web, redis }
}

describe('export --json', () => {
  test.concurrent('with --out: one object naming the files written (secret ones marked, no content) and the notes; nothing on stderr', async () => {
    const { ws, web, redis } = webAndRedis()
    const out = join(ws.root, 'deploy')
    const result = await runCli(['export', '--to=compose', `--out=${out}`, '--json'], { cwd: ws.root })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout) as ExportJson
    expect(json.target).toBe('compose')
    expect(json.out).toBe(out)
    expect(json.files.map(f => f.path).sort()).toEqual(readdirSync(out).sort())
    expect(json.files.find(f => f.path === 'secrets.env')).toEqual({ path: 'secrets.env', secret: true })
    expect(json.files.every(f => f.content === undefined)).toBe(true)
    expect((statSync(join(out, 'secrets.env')).mode & 0o777).toString(8)).toBe('600')
    expect(json.notes).toContain(`web: REDIS_URL points at 127.0.0.1:${redis}, which in a container is the container itself: it will not reach redis; use the service name (redis:${redis}), e.g. in $production`)
    expect(json.notes.some(n => n.startsWith('redis: HOST makes it listen on 127.0.0.1'))).toBe(true)
    const compose = readFileSync(join(out, 'compose.yaml'), 'utf8')
    expect(composeErrors(compose)).toEqual([])
    // The web server on this host's loopback, the declared one as written, Redis on no host port.
    expect(compose).toContain(`- 127.0.0.1:${web}:${web}`)
    expect(compose).toContain(`- 0.0.0.0:8080:${web + 1}`)
    expect(compose).not.toContain(`:${redis}:${redis}`)
  }, 30_000)

  test.concurrent('without --out: nothing is written, each file\'s content is in the object but a secret one\'s; several files are fine', async () => {
    const { ws } = webAndRedis()
    const result = await runCli(['export', '--to=kubernetes', '--json'], { cwd: ws.root })
    expect(result.code).toBe(0)
    const json = JSON.parse(result.stdout) as ExportJson
    expect(json.out).toBeNull()
    expect(json.files.map(f => f.path)).toEqual(['kubernetes.yaml', 'secrets.yaml', 'Dockerfile', 'Dockerfile.dockerignore'])
    expect(json.files.find(f => f.path === 'kubernetes.yaml')!.content).toContain('kind: Deployment')
    expect(json.files.find(f => f.path === 'secrets.yaml')!.content).toBeUndefined()
    expect(result.stdout).not.toContain('s3cret')
    expect(json.notes.some(n => n.startsWith('the probes of redis, web, admin connect to the pod\'s IP'))).toBe(true)
    expect(json.notes).toContain('admin: publish 0.0.0.0:8080 is for Compose; here its Service is reachable inside the cluster only (ClusterIP): expose it with an Ingress or a LoadBalancer Service of yours')
    expect(existsSync(join(ws.root, 'kubernetes.yaml'))).toBe(false)
    expect(readdirSync(ws.root).sort()).toEqual(['.env', 'node_modules', 'pm.config.ts', 'redis.ts', 'web.ts'])
  }, 30_000)

  test.concurrent('a wrong publish is one line naming the file, the worker and the fix; exit 1, nothing written', async () => {
    const ws = workspaces.make(`{ workers: [{ name: 'web', bun: 'web.ts', options: { publish: 'localhost:3000' } }] }`, { 'web.ts': fixture('serve.ts') })
    const result = await runCli(['export', '--to=compose', '--out=deploy', '--json'], { cwd: ws.root })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim()).toBe('error: pm.config.ts: worker "web": `options`: `publish` "localhost:3000": localhost is not an IP address (Docker binds addresses, not names); write e.g. publish: \'127.0.0.1:3000\' (this host only), \'0.0.0.0:8080\' (every IPv4 interface), 8080 (every interface) or false')
    expect(existsSync(join(ws.root, 'deploy'))).toBe(false)
  }, 30_000)
})

describe('init --json', () => {
  test.concurrent('one object: the files written, then kept; a conversion\'s dropped list', async () => {
    const ws = makeWorkspace({ 'Procfile': 'web: bun web.ts\nnot a process line\n', 'web.ts': fixture('serve.ts') })
    made.push(ws)
    const first = await runCli(['init', '--from', 'Procfile', '--json'], { cwd: ws.root })
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    const json = JSON.parse(first.stdout) as InitJson
    expect(json.files).toEqual([{ path: 'pm.config.ts', action: 'wrote' }, { path: '.env.example', action: 'wrote' }])
    expect(json.dropped).toHaveLength(1)
    expect(json.dropped[0]).toStartWith('Procfile line 2 ("not a process line")')
    expect(readFileSync(join(ws.root, 'pm.config.ts'), 'utf8')).toContain('web.ts')
    const again = JSON.parse((await runCli(['init', '--json'], { cwd: ws.root })).stdout) as InitJson
    expect(again).toEqual({ files: [{ path: 'pm.config.ts', action: 'kept' }, { path: '.env.example', action: 'kept' }], dropped: [], changed: [] })
  }, 30_000)
})

describe('dev --json', () => {
  test('every line is one JSON object: bun-pm\'s events (started, ready, up, stopped) and the worker\'s lines', async () => {
    const port = freePort()
    const ws = makeWorkspace({ 'web.ts': fixture('serve.ts') }, { config: `{ workers: [{ name: 'web', bun: 'web.ts', heartbeat: 'tcp://127.0.0.1:${port}', options: { env: { PORT: '${port}' } } }] }` })
    made.push(ws)
    const dev = startDev(ws.root, ['--json'])
    await dev.waitFor(/"event":"up"/, { timeoutMs: 30_000 })
    await dev.waitFor(/"text":"serving on \d+"/)
    expect(await stopDev(dev)).toBe(130)
    const lines = dev.output().split('\n').filter(Boolean).map(line => JSON.parse(line) as DevJsonLine)
    const events = lines.filter((l): l is DevEventJson => 'event' in l)
    const logs = lines.filter((l): l is LogLineJson => 'stream' in l)
    const started = events.find(e => e.event === 'started')!
    expect(started).toMatchObject({ worker: 'web', unit: 'web', text: `web started (pid ${started.pid})` })
    expect(started.pid).toBeGreaterThan(0)
    expect(events.find(e => e.event === 'ready')).toMatchObject({ worker: 'web', unit: 'web', pid: started.pid })
    expect(events.find(e => e.event === 'up')!.text).toMatch(/^1 worker up in \d+ ms/)
    expect(events.find(e => e.event === 'stopped')).toMatchObject({ worker: 'web', unit: 'web', text: 'web stopped' })
    expect(events.some(e => e.event === 'message' && e.text.startsWith('SIGINT: stopping the workers'))).toBe(true)
    expect(logs).toContainEqual(expect.objectContaining({ worker: 'web', unit: 'web', stream: 'out', text: `serving on ${port}` }))
    expect(logs.some(l => l.text === 'stopping on SIGTERM')).toBe(true)
    for (const line of lines)
      expect(Number.isNaN(Date.parse(line.time!))).toBe(false)
  }, 60_000)
})
