import { afterAll, describe, expect, test } from 'bun:test'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { devHome } from '../../src/dev/session.ts'
import { descendantsOf, groupOf } from '../../src/os/processes.ts'
import { REPO } from '../helpers/cli.ts'
import { fetchUntil, fixture, freePort } from '../helpers/dev-session.ts'
import { makePm2Home } from '../helpers/pm2-home.ts'

// As a user of another project would: `npm pack` of this repo, `npm install -D` of the tarball into
// a project that has nothing else, then `npx bun-pm ...` from a shell whose PATH has node and npm
// only (no bun: the package brings its own).
const dirs: string[] = []
// The projects hold node_modules: removing them takes seconds on a busy machine.
afterAll(() => dirs.forEach(dir => rmSync(dir, { recursive: true, force: true })), 60_000)

const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return dir
}
const NODE_ONLY_PATH = '/usr/local/bin:/usr/bin:/bin'

/**
 * Runs a command to its exit. Its output goes to files, not pipes: a daemon it spawns may keep
 * an inherited pipe open, and the output would then never end.
 */
function run(cmd: string[], cwd: string, env: Record<string, string> = {}) {
  const dir = temp('bun-pm-run-')
  const [out, err] = [join(dir, 'out'), join(dir, 'err')]
  const result = Bun.spawnSync(cmd, { cwd, env: { HOME: process.env.HOME!, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME!, PATH: NODE_ONLY_PATH, NO_COLOR: '1', ...env }, stdout: Bun.file(out), stderr: Bun.file(err) })
  return { code: result.exitCode, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') }
}

/** Packs a copy of the checkout (its prepack builds dist/ there, not in the checkout). */
function pack(): string {
  const copy = temp('bun-pm-pack-src-')
  for (const part of ['bin', 'src', 'workers', 'package.json', 'pm.config.ts', 'README.md', 'tsconfig.json'])
    cpSync(join(REPO, part), join(copy, part), { recursive: true })
  symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'))
  const out = temp('bun-pm-pack-')
  const packed = run(['npm', 'pack', '--pack-destination', out], copy, { PATH: `${join(REPO, 'node_modules/.bin')}:${NODE_ONLY_PATH}` })
  expect(packed.code).toBe(0)
  return join(out, readdirSync(out).find(file => file.endsWith('.tgz'))!)
}

describe('installed into another project', () => {
  test('npm install -D the tarball; npx bun-pm init, start and dev serve a Hono worker, an Elysia worker, a node worker and a seed-shaped worker; run and up() bring them up for the project\'s tests', async () => {
    const tarball = pack()
    const project = temp('bun-pm-project-')
    writeFileSync(join(project, 'package.json'), '{ "name": "shop", "version": "1.0.0", "private": true }\n')
    const versionOf = (pkg: string) => JSON.parse(readFileSync(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')).version
    const installed = run(['npm', 'install', '-D', tarball, `hono@${versionOf('hono')}`, `elysia@${versionOf('elysia')}`, '--no-audit', '--no-fund', '--prefer-offline'], project)
    expect(installed.code).toBe(0)

    // init writes a typed config and .env.example, and never overwrites them.
    const init = run(['npx', 'bun-pm', 'init'], project)
    expect(init.code).toBe(0)
    expect(init.stdout).toContain('wrote pm.config.ts')
    expect(existsSync(join(project, '.env.example'))).toBe(true)
    expect(run(['npx', 'bun-pm', 'init'], project).stdout).toContain('kept pm.config.ts: it exists already')

    const ports = { hono: freePort(), elysia: freePort(), node: freePort(), seed: freePort() }
    writeFileSync(join(project, 'hono.ts'), fixture('hono-default.ts'))
    writeFileSync(join(project, 'elysia.ts'), fixture('elysia-listen.ts'))
    writeFileSync(join(project, 'api.js'), fixture('serve-node.js'))
    writeFileSync(join(project, 'seed.ts'), fixture('serve.ts'))
    // The seed's literal worker shape: every field written, '' for what it does not use.
    writeFileSync(join(project, 'pm.config.ts'), `import { defineWorkspace } from 'bun-pm'
export default defineWorkspace({
  defaults: {},
  workers: [
    { name: 'hono', bun: 'hono.ts', heartbeat: 'http://127.0.0.1:${ports.hono}/', options: { env: { PORT: '${ports.hono}' } } },
    { name: 'elysia', bun: 'elysia.ts', heartbeat: 'http://127.0.0.1:${ports.elysia}/', options: { env: { PORT: '${ports.elysia}' } } },
    { name: 'api', node: 'api.js', options: { interpreter: 'node', env: { PORT: '${ports.node}' } } },
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

    const dev = Bun.spawn(['npx', 'bun-pm', 'dev'], { cwd: project, env: { HOME: process.env.HOME!, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME!, PATH: NODE_ONLY_PATH, NO_COLOR: '1' }, stdout: 'pipe', stderr: 'pipe' })
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
})
