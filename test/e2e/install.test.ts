import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { devHome } from '../../src/dev/session.ts'
import { descendantsOf, groupOf, isAlive } from '../../src/os/processes.ts'
import type { StatusJson } from '../../src/types/json.ts'
import { REPO } from '../helpers/cli.ts'
import { fetchUntil, fixture, freePort } from '../helpers/dev-session.ts'
import { freePorts } from '../helpers/net.ts'
import { makePm2Home } from '../helpers/pm2-home.ts'

// As a user of another project would: `npm pack` of this repo, then a project that has bun-pm (and
// the frameworks its workers use) in `dependencies` and TypeScript in `devDependencies`, installed
// as a production host installs it — `npm ci --omit=dev` from its lockfile — and `npx bun-pm ...`
// from a shell whose PATH has node and npm only (no bun: the package brings its own).
//
// The project is installed once (beforeAll); each case is a test of its own that writes the
// pm.config.ts and files it needs at the project's root (as a user would: the config next to
// node_modules), runs, and leaves nothing running. Cases run in order; the TypeScript case installs
// the devDependencies, so it stays last.
const dirs: string[] = []
// The projects hold node_modules: removing them takes seconds on a busy machine.
afterAll(() => dirs.forEach(dir => rmSync(dir, { recursive: true, force: true })), 60_000)

const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}
const NODE_ONLY_PATH = '/usr/local/bin:/usr/bin:/bin'
const userEnv = (env: Record<string, string> = {}) => ({ HOME: process.env.HOME!, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME!, PATH: NODE_ONLY_PATH, NO_COLOR: '1', ...env })

/**
 * Runs a command to its exit. Its output goes to files, not pipes: a daemon it spawns may keep
 * an inherited pipe open, and the output would then never end.
 */
function run(cmd: string[], cwd: string, env: Record<string, string> = {}) {
  const dir = temp('bun-pm-run-')
  const [out, err] = [join(dir, 'out'), join(dir, 'err')]
  const result = Bun.spawnSync(cmd, { cwd, env: userEnv(env), stdout: Bun.file(out), stderr: Bun.file(err) })
  return { code: result.exitCode, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') }
}

/** Packs a copy of the checkout (its prepack builds dist/ there, not in the checkout). */
function pack(): string {
  const copy = temp('bun-pm-pack-src-')
  for (const part of ['bin', 'src', 'workers', 'package.json', 'pm.config.ts', 'README.md', 'tsconfig.json', 'tsconfig.build.json'])
    cpSync(join(REPO, part), join(copy, part), { recursive: true })
  symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'))
  const out = temp('bun-pm-pack-')
  const packed = run(['npm', 'pack', '--pack-destination', out], copy, { PATH: `${join(REPO, 'node_modules/.bin')}:${NODE_ONLY_PATH}` })
  expect(packed.code).toBe(0)
  return join(out, readdirSync(out).find(file => file.endsWith('.tgz'))!)
}

const versionOf = (pkg: string) => JSON.parse(readFileSync(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')).version
let project = ''
/** Writes the case's files at the project's root, in folders as named. */
const write = (files: Record<string, string>) => Object.entries(files).forEach(([path, text]) => {
  mkdirSync(join(project, path, '..'), { recursive: true })
  writeFileSync(join(project, path), text)
})

/** A Redis answer to PING on `port`, or what went wrong. */
async function redisPing(port: number): Promise<string> {
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      return await new Promise<string>((resolve, reject) => {
        void Bun.connect({ hostname: '127.0.0.1', port, socket: {
          open: socket => void socket.write('PING\r\n'),
          data: (socket, data) => { resolve(data.toString().trim()); socket.end() },
          error: (_socket, error) => reject(error),
          connectError: (_socket, error) => reject(error),
        } }).catch(reject)
      })
    }
    catch (error) {
      if (Date.now() > deadline)
        return String(error)
      await Bun.sleep(100)
    }
  }
}

beforeAll(() => {
  const tarball = pack()
  project = temp('bun-pm-project-')
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({
    name: 'shop',
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies: { 'bun-pm': `file:${tarball}`, 'hono': versionOf('hono'), 'elysia': versionOf('elysia') },
    // @xterm/headless: a devDependency that nothing in `dependencies` pulls in (see below).
    devDependencies: { 'typescript': versionOf('typescript'), '@types/bun': versionOf('@types/bun'), '@xterm/headless': versionOf('@xterm/headless') },
    allowScripts: { bun: true },
  }, null, 2)}\n`)
  const locked = run(['npm', 'install', '--package-lock-only', '--no-audit', '--no-fund', '--prefer-offline'], project)
  expect(`exit ${locked.code} ${locked.stderr}`).toStartWith('exit 0 ')
  const installed = run(['npm', 'ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], project)
  expect(`exit ${installed.code} ${installed.stderr}`).toStartWith('exit 0 ')
}, 240_000)

describe('installed into another project', () => {
  test('npx bun-pm init, start and dev serve a Hono worker, an Elysia worker, a node worker and a seed-shaped worker; run and up() bring them up for the project\'s tests', async () => {
    rmSync(join(project, 'pm.config.ts'), { force: true })
    rmSync(join(project, '.env.example'), { force: true })
    // init writes a typed config and .env.example, and never overwrites them.
    const init = run(['npx', 'bun-pm', 'init'], project)
    expect(init.code).toBe(0)
    expect(init.stdout).toContain('wrote pm.config.ts')
    expect(existsSync(join(project, '.env.example'))).toBe(true)
    expect(run(['npx', 'bun-pm', 'init'], project).stdout).toContain('kept pm.config.ts: it exists already')

    const ports = { hono: freePort(), elysia: freePort(), node: freePort(), seed: freePort() }
    writeFileSync(join(project, 'hono.ts'), fixture('hono-default.ts'))
    writeFileSync(join(project, 'elysia.ts'), fixture('elysia-listen.ts'))
    // CommonJS in a "type": "module" project: .cjs.
    writeFileSync(join(project, 'api.cjs'), fixture('serve-node.js'))
    writeFileSync(join(project, 'seed.ts'), fixture('serve.ts'))
    // The seed's literal worker shape: every field written, '' for what it does not use.
    writeFileSync(join(project, 'pm.config.ts'), `import { defineWorkspace } from 'bun-pm'
export default defineWorkspace({
  defaults: {},
  workers: [
    { name: 'hono', bun: 'hono.ts', heartbeat: 'http://127.0.0.1:${ports.hono}/', options: { env: { PORT: '${ports.hono}' } } },
    { name: 'elysia', bun: 'elysia.ts', heartbeat: 'http://127.0.0.1:${ports.elysia}/', options: { env: { PORT: '${ports.elysia}' } } },
    { name: 'api', node: 'api.cjs', options: { interpreter: 'node', env: { PORT: '${ports.node}' } } },
    { name: 'seed', group: 'primary', activated: true, heartbeat: '', bun: 'seed.ts', node: '', tsx: '', options: { env: { PORT: '${ports.seed}' } } },
  ],
})
`)
    const h = makePm2Home()
    try {
      const started = run(['npx', 'bun-pm', 'start'], project, { PM2_HOME: h.path })
      expect(started.stderr).toBe('')
      expect(started.code).toBe(0)
      expect(await fetchUntil(ports.hono, 'hono ')).toStartWith('hono ')
      expect(await fetchUntil(ports.elysia, 'elysia ')).toStartWith('elysia ')
      expect(await fetchUntil(ports.node, 'node ')).toStartWith('node ')
      expect(await fetchUntil(ports.seed, 'hello ')).toStartWith('hello ')
      expect(run(['npx', 'bun-pm', 'stop'], project, { PM2_HOME: h.path }).code).toBe(0)
    }
    finally {
      await h.close()
    }

    const dev = Bun.spawn(['npx', 'bun-pm', 'dev'], { cwd: project, env: userEnv(), stdout: 'pipe', stderr: 'pipe' })
    let out = ''
    const reading = (async () => {
      for await (const chunk of dev.stdout as ReadableStream<Uint8Array>)
        out += new TextDecoder().decode(chunk)
    })()
    const deadline = Date.now() + 20_000
    while (!/4 workers up in \d+ ms/.test(out) && Date.now() < deadline)
      await Bun.sleep(50)
    expect(out).toMatch(/4 workers up in \d+ ms/)
    expect(await fetchUntil(ports.hono, 'hono ')).toStartWith('hono ')
    expect(await fetchUntil(ports.elysia, 'elysia ')).toStartWith('elysia ')
    // Ctrl-C in a terminal reaches the foreground group: npx, its shell and the bun-pm they run
    // (not the PM2 daemon and workers, which have groups of their own).
    const group = groupOf(dev.pid)
    for (const pid of [dev.pid, ...descendantsOf([dev.pid])].filter(pid => groupOf(pid) === group))
      process.kill(pid, 'SIGINT')
    expect(await dev.exited).toBe(130)
    await reading
    expect(await fetchUntil(ports.hono, 'hono ', 500)).toBeUndefined()
    rmSync(devHome(project), { recursive: true, force: true })

    // The workspace in the project's own tests: `npx bun-pm run -- <command>`, and up() under Node.
    const ran = run(['npx', 'bun-pm', 'run', '--workers=hono', '--', 'node', '-e', 'fetch(process.env.BUN_PM_URL_HONO).then(r => r.text()).then(t => { console.log(t); process.exit(t.startsWith("hono ") ? 0 : 5) })'], project)
    expect(`${ran.code} ${ran.stdout}`).toMatch(/^0 hono /)
    writeFileSync(join(project, 'up.test.mjs'), `import { test } from 'node:test'
import assert from 'node:assert'
import { up } from 'bun-pm/testing'
test('the workspace up, in node:test', async () => {
  const ws = await up({ workers: ['elysia'] })
  assert.match(await (await fetch(ws.url('elysia'))).text(), /^elysia /)
  await ws.down()
})
`)
    const tested = run(['node', '--test', 'up.test.mjs'], project)
    expect(`${tested.code} ${tested.stdout}`).toMatch(/^0 [\s\S]*# pass 1/)
    expect(await fetchUntil(ports.elysia, 'elysia ', 500)).toBeUndefined()
  }, 120_000)

  test('every package bun-pm\'s shipped files import is one of its dependencies: nothing it runs is a devDependency', () => {
    const installed = join(project, 'node_modules/bun-pm')
    const { dependencies } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    const imported = new Set<string>()
    const files = readdirSync(installed, { recursive: true, encoding: 'utf8' }).filter(file => /^(dist|src)\/.*\.[cm]?[jt]s$/.test(file) && !file.endsWith('.d.ts'))
    for (const file of files) {
      for (const [, name] of readFileSync(join(installed, file), 'utf8').matchAll(/(?:\bfrom\s*|\bimport\(\s*|\brequire\(\s*)['"]((?:@[\w.-]+\/)?[\w-][\w.-]*)(?:\/[^'"]*)?['"]/g))
        imported.add(name!)
    }
    // Not Node's own modules (bun's are `bun:…`), nor bun-pm itself (the import init writes into pm.config.ts).
    const packages = [...imported].filter(name => !builtinModules.includes(name) && name !== 'bun-pm')
    expect(packages).toContain('pm2')
    expect(packages).toContain('citty')
    expect(packages.filter(name => !(name in dependencies))).toEqual([])
  })

  test('npm ci --omit=dev is enough: start, status, logs and stop, start --attach as a container runs it, and the exported PM2 file under the project\'s own pm2', async () => {
    // What --omit=dev keeps: bun-pm and what it needs at run time, not the devDependencies
    // (typescript and @types/bun come anyway, as elysia's optional peers; @xterm/headless does not).
    expect(existsSync(join(project, 'node_modules/bun-pm/dist/worker/entry.js'))).toBe(true)
    expect(existsSync(join(project, 'node_modules/@xterm/headless'))).toBe(false)
    write({
      'pm.config.ts': `import { defineWorkspace } from 'bun-pm'
export default defineWorkspace({ workers: [{ name: 'job', bun: 'job.ts', heartbeat: '10s' }] })
`,
      // Ready by its first heartbeat(), imported from bun-pm at run time.
      'job.ts': `import { heartbeat } from 'bun-pm'
console.log('job started')
heartbeat()
setInterval(heartbeat, 1000)
`,
    })
    const h = makePm2Home()
    try {
      const started = run(['npx', 'bun-pm', 'start'], project, { PM2_HOME: h.path })
      expect(started.stderr).toBe('')
      expect(started.stdout).toMatch(/^started job; ready in \d+ ms/)
      expect(started.code).toBe(0)
      const status = run(['npx', 'bun-pm', 'status', '--json'], project, { PM2_HOME: h.path })
      expect((JSON.parse(status.stdout) as StatusJson).workers.map(row => `${row.worker} ${row.status} ${row.health}`)).toEqual(['job online ready'])
      const logs = run(['npx', 'bun-pm', 'logs', '--no-follow'], project, { PM2_HOME: h.path })
      expect(`${logs.code} ${logs.stdout}`).toMatch(/^0 [\s\S]*job +\| .*job started/)
      expect(run(['npx', 'bun-pm', 'stop'], project, { PM2_HOME: h.path }).code).toBe(0)
      const stopped = run(['npx', 'bun-pm', 'status', '--json'], project, { PM2_HOME: h.path })
      expect((JSON.parse(stopped.stdout) as StatusJson).workers.map(row => `${row.worker} ${row.status}`)).toEqual(['job stopped'])
    }
    finally {
      await h.close()
    }

    // As the README's Dockerfile runs it: the package's bin, no npx in between, SIGTERM to stop.
    const attachHome = makePm2Home()
    const attached = Bun.spawn([join(project, 'node_modules/.bin/bun-pm'), 'start', '--attach'], { cwd: project, env: userEnv({ PM2_HOME: attachHome.path }), stdout: 'pipe', stderr: 'pipe' })
    try {
      let output = ''
      const reading = (async () => {
        for await (const chunk of attached.stdout as ReadableStream<Uint8Array>)
          output += new TextDecoder().decode(chunk)
      })()
      const deadline = Date.now() + 20_000
      while (!/started job; ready in \d+ ms/.test(output) && Date.now() < deadline)
        await Bun.sleep(50)
      expect(output).toMatch(/job +\| job started/)
      expect(output).toMatch(/bun-pm +\| job ready: heartbeat\(\) called/)
      const pids = attachHome.processes()
      expect(pids.length).toBeGreaterThanOrEqual(3)
      attached.kill('SIGTERM')
      expect(await attached.exited).toBe(0)
      await reading
      expect(output).toContain('job stopped')
      const gone = Date.now() + 10_000
      while (pids.some(isAlive) && Date.now() < gone)
        await Bun.sleep(50)
      expect(pids.filter(isAlive)).toEqual([])
    }
    finally {
      attached.kill('SIGKILL')
      await attachHome.close()
    }

    // The exported file names bun-pm's entry and bun inside the project (movable with it), and the
    // pm2 that came with bun-pm runs it.
    const exported = run(['npx', 'bun-pm', 'export', '--to=pm2'], project)
    expect(exported.code).toBe(0)
    expect(exported.stdout).toContain(`script: join(root, 'node_modules/bun-pm/dist/worker/entry.js')`)
    expect(exported.stdout).toContain(`interpreter: join(root, 'node_modules/.bin/bun')`)
    expect(exported.stdout).not.toContain(project)
    writeFileSync(join(project, 'ecosystem.config.cjs'), exported.stdout)
    const plain = makePm2Home()
    try {
      const started = run(['npx', 'pm2', 'start', 'ecosystem.config.cjs'], project, { PM2_HOME: plain.path })
      expect(started.code).toBe(0)
      const logFile = join(plain.path, 'logs/job-out.log')
      const deadline = Date.now() + 15_000
      while (!(existsSync(logFile) && readFileSync(logFile, 'utf8').includes('job started')) && Date.now() < deadline)
        await Bun.sleep(100)
      expect(readFileSync(logFile, 'utf8')).toContain('job started')
      const listed = JSON.parse(run(['npx', 'pm2', 'jlist'], project, { PM2_HOME: plain.path }).stdout) as { name: string, pm2_env: { status: string, restart_time: number } }[]
      expect(listed.map(app => `${app.name} ${app.pm2_env.status} ${app.pm2_env.restart_time}`)).toEqual(['job online 0'])
      expect(run(['npx', 'pm2', 'kill'], project, { PM2_HOME: plain.path }).code).toBe(0)
    }
    finally {
      await plain.close()
    }
  }, 120_000)

  test('a Procfile with $PORT and a program: init --from converts it, and start runs the bun server and redis-server (a cmd worker) on the ports Foreman gives them; stop leaves nothing', async () => {
    // Foreman's ports from .env's PORT: the first line gets it, the next 100 more.
    const base = freePorts(101)
    for (const file of ['pm.config.ts', '.env.example'])
      rmSync(join(project, file), { force: true })
    write({
      'Procfile': `web: bun web.ts --port $PORT\nredis: redis-server --port $PORT --save '' --appendonly no\n`,
      '.env': `PORT=${base}\n`,
      'web.ts': fixture('serve.ts'),
    })
    const init = run(['npx', 'bun-pm', 'init', '--from', 'Procfile'], project)
    expect(`${init.code} ${init.stderr}`).toBe('0 ')
    expect(readFileSync(join(project, 'pm.config.ts'), 'utf8')).toContain(`cmd: 'redis-server --port $PORT`)
    const h = makePm2Home()
    try {
      const started = run(['npx', 'bun-pm', 'start'], project, { PM2_HOME: h.path })
      expect(`${started.code} ${started.stderr}`).toBe('0 ')
      expect(await fetchUntil(base, 'hello ')).toStartWith('hello ')
      expect(await redisPing(base + 100)).toBe('+PONG')
      const rows = (JSON.parse(run(['npx', 'bun-pm', 'status', '--json'], project, { PM2_HOME: h.path }).stdout) as StatusJson).workers
      expect(rows.map(row => `${row.worker} ${row.status} ${row.interpreter}`)).toEqual(['web online bun', 'redis online cmd'])
      // redis-server writes its title over its environment: its pids are found through the tree.
      const pids = rows.map(row => row.pid!).flatMap(pid => [pid, ...descendantsOf([pid])])
      expect(pids.length).toBeGreaterThanOrEqual(2)
      expect(run(['npx', 'bun-pm', 'stop'], project, { PM2_HOME: h.path }).code).toBe(0)
      const gone = Date.now() + 10_000
      while (pids.some(isAlive) && Date.now() < gone)
        await Bun.sleep(50)
      expect(pids.filter(isAlive)).toEqual([])
    }
    finally {
      await h.close()
      for (const file of ['Procfile', '.env'])
        rmSync(join(project, file), { force: true })
    }
  }, 120_000)

  test('a default tsc --noEmit accepts a pm.config.ts and files importing bun-pm and bun-pm/testing: its types are .d.ts files', () => {
    // The devDependencies now (typescript, @types/bun): the production cases above ran without them.
    const dev = run(['npm', 'install', '--no-audit', '--no-fund', '--prefer-offline'], project)
    expect(`exit ${dev.code} ${dev.stderr}`).toStartWith('exit 0 ')
    // Folders of their own, so that tsc reads these files only (the cases above wrote bun workers).
    mkdirSync(join(project, 'typecheck'), { recursive: true })
    expect(run(['npx', 'tsc', '--init'], join(project, 'typecheck')).code).toBe(0)
    const config = `import { defineWorkspace, type Worker } from 'bun-pm'
const job: Worker = { name: 'job', bun: 'job.ts', heartbeat: '30s' }
export default defineWorkspace({
  workers: [job, { name: 'api', node: 'api.js', heartbeat: 'http://127.0.0.1:3000/health', dependsOn: ['job'], options: { env: { PORT: '3000' } } }],
})
// @ts-expect-error: a script is a path, not a number (an any-typed package would accept it)
defineWorkspace({ workers: [{ name: 'bad', bun: 42 }] })
`
    const worker = `import { heartbeat, serve, type StatusJson } from 'bun-pm'
import { up, type UpWorkspace } from 'bun-pm/testing'
heartbeat()
// @ts-expect-error: heartbeat() takes nothing
heartbeat(1)
export const server = serve({ port: 3000, fetch: () => new Response('hello') })
export async function jobRows(): Promise<StatusJson['workers']> {
  await using ws: UpWorkspace<'job'> = await up<'job'>({ workers: ['job'], timeoutMs: 10_000 })
  await ws.kill('job', 'SIGTERM')
  // @ts-expect-error: not a worker's name
  ws.url('jobs')
  return ws.status()
}
`
    write({
      'typecheck/pm.config.ts': config,
      'typecheck/job.ts': worker,
      // The smallest strict config, without skipLibCheck: bun-pm's .d.ts files are checked too.
      'typecheck/tsconfig.strict.json': '{ "compilerOptions": { "module": "nodenext", "strict": true, "noEmit": true }, "include": ["*.ts"] }\n',
      // A bun project's: Bun's types, the bun condition and bundler resolution (the types condition
      // still comes first); serve() then takes Bun.serve's options, checked.
      'typecheck-bun/tsconfig.json': '{ "compilerOptions": { "module": "preserve", "moduleResolution": "bundler", "customConditions": ["bun"], "types": ["bun"], "target": "esnext", "strict": true, "noEmit": true } }\n',
      'typecheck-bun/pm.config.ts': config,
      'typecheck-bun/job.ts': `${worker}// @ts-expect-error: Bun.serve's port is a number or a string
serve({ port: {}, fetch: () => new Response('hello') })
`,
    })
    for (const [folder, tsconfig] of [['typecheck', 'tsconfig.json'], ['typecheck', 'tsconfig.strict.json'], ['typecheck-bun', 'tsconfig.json']] as const) {
      const checked = run(['npx', 'tsc', '--noEmit', '-p', tsconfig], join(project, folder))
      expect(`${folder}/${tsconfig}: ${checked.code} ${checked.stdout}${checked.stderr}`).toBe(`${folder}/${tsconfig}: 0 `)
    }
    // The editor shows defineWorkspace's documentation: it is in the declarations.
    expect(readFileSync(join(project, 'node_modules/bun-pm/dist/index.d.ts'), 'utf8')).toMatch(/\/\*\*\n \* Declares the workspace in `pm.config.ts`[\s\S]*?\*\/\nexport declare function defineWorkspace\(/)
  }, 120_000)
})
