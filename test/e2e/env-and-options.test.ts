import { afterAll, describe, expect, test } from 'bun:test'
import { basename } from 'node:path'
import { runCli } from '../helpers/cli.ts'
import { makeWorkspace, type TempWorkspace } from '../helpers/workspace.ts'

const made: TempWorkspace[] = []
afterAll(() => made.forEach(ws => ws.remove()))

function workspace(config: string, files: Record<string, string> = {}): TempWorkspace {
  const ws = makeWorkspace({ 'web.ts': '', 'web.js': '', ...files }, { config })
  made.push(ws)
  return ws
}

async function explainJson(ws: TempWorkspace, args: string[] = [], env: Record<string, string | undefined> = {}) {
  const result = await runCli(['explain', '--json', ...args], { cwd: ws.root, env })
  expect(result.stderr).toBe('')
  return JSON.parse(result.stdout)
}

describe('environment', () => {
  test('precedence: .env < .env.local < shell < defaults.env < options.env', async () => {
    const ws = workspace(`{
      defaults: { env: { FROM_DEFAULTS: 'defaults', IN_ALL: 'defaults' } },
      workers: [{ name: 'web', bun: 'web.ts', options: { env: { IN_ALL: 'options' } } }],
    }`, {
      '.env': 'ONLY_FILE=env\nLOCAL_WINS=env\nSHELL_WINS=env\nIN_ALL=env\n',
      '.env.local': 'LOCAL_WINS=local\nSHELL_WINS=local\n',
    })
    const { env, shellLeftOut } = (await explainJson(ws, [], { SHELL_WINS: 'shell', FROM_DEFAULTS: 'shell', ONLY_SHELL: 'shell' })).workers[0]
    expect(env.ONLY_FILE.source).toBe('.env')
    expect(env.LOCAL_WINS.source).toBe('.env.local')
    expect(env.SHELL_WINS.source).toBe('shell')
    expect(env.FROM_DEFAULTS.source).toBe('defaults.env')
    expect(env.IN_ALL.source).toBe('options.env')
    // Of the rest of the shell, only what runs programs (never a reason to restart); the others stay out.
    expect(env.HOME.source).toBe('runtime')
    expect(env.ONLY_SHELL).toBeUndefined()
    expect(shellLeftOut).toContain('ONLY_SHELL')
  }, 20_000)

  test('the config sees .env values in process.env, and the shell still wins over the file', async () => {
    const config = `{ workers: [{ name: 'web', bun: process.env.WEB_SCRIPT! }] }`
    const ws = workspace(config, { '.env': 'WEB_SCRIPT=web.ts\n', 'other.ts': '' })
    expect((await explainJson(ws)).workers[0].script).toBe(`${ws.root}/web.ts`)
    expect((await explainJson(ws, [], { WEB_SCRIPT: 'other.ts' })).workers[0].script).toBe(`${ws.root}/other.ts`)
  }, 20_000)

  test('an explicit NODE_ENV in .env wins over the mode', async () => {
    const ws = workspace(`{ workers: [{ name: 'web', bun: 'web.ts' }] }`, { '.env': 'NODE_ENV=staging\n' })
    expect((await explainJson(ws, ['--mode=start'])).workers[0].env.NODE_ENV).toEqual({ value: 'staging', source: '.env' })
  }, 20_000)

  test('values are never printed, in either form', async () => {
    const ws = workspace(`{ workers: [{ name: 'web', bun: 'web.ts', options: { env: { FROM_CONFIG: 'hunter2-config' } } }] }`, {
      '.env': 'DB_PASSWORD=hunter2-file\n',
    })
    for (const args of [['explain'], ['explain', '--json']]) {
      const result = await runCli(args, { cwd: ws.root, env: { API_KEY: 'hunter2-shell' } })
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('DB_PASSWORD')
      expect(result.stdout).not.toContain('hunter2')
    }
  }, 20_000)
})

describe('options', () => {
  test('arrays combine across levels without duplicates; argument lists are replaced', async () => {
    const ws = workspace(`{
      defaults: { ignore_watch: ['logs', 'node_modules'], args: ['--from-defaults'], interpreter_args: ['--smol'] },
      workers: [{ name: 'web', bun: 'web.ts', options: { ignore_watch: ['tmp'], args: ['--port', '1'] } }],
    }`)
    const { options } = (await explainJson(ws, ['--mode=start'])).workers[0]
    expect(options.ignore_watch).toEqual(['tmp', 'logs', 'node_modules'])
    expect(options.args).toEqual(['--port', '1'])
    expect(options.interpreter_args.slice(0, 2)).toEqual(['--no-env-file', '--smol'])
  }, 20_000)

  test('the interpreter picks the script field; node resolves to a real node', async () => {
    const ws = workspace(`{ workers: [
      { name: 'web', bun: 'web.ts', node: 'web.js', options: { interpreter: 'node' } },
      { name: 'api', bun: 'web.ts', node: 'web.js' },
    ] }`)
    const [web, api] = (await explainJson(ws)).workers
    expect(web.interpreter).toBe('node')
    expect(web.script).toBe(`${ws.root}/web.js`)
    expect(basename(web.interpreterPath)).toBe('node')
    expect(web.options.interpreter_args).toBeUndefined()
    expect(api.script).toBe(`${ws.root}/web.ts`)
  }, 20_000)

  test('a worker without group is in group primary, so `start` runs it; the namespace is the workspace name', async () => {
    const ws = workspace(`{ name: 'shop', workers: [{ name: 'web', bun: 'web.ts' }] }`)
    const plan = await explainJson(ws, ['--mode=start'])
    expect(plan.workers.map((w: { name: string }) => w.name)).toEqual(['web'])
    expect(plan.workers[0].group).toBe('primary')
    expect(plan.namespace).toBe('shop')
  }, 20_000)

  test('--cwd points at another folder', async () => {
    const ws = workspace(`{ workers: [{ name: 'web', bun: 'web.ts' }] }`)
    const result = await runCli(['explain', '--json', `--cwd=${ws.root}`])
    expect(JSON.parse(result.stdout).root).toBe(ws.root)
  }, 20_000)
})
