import { afterAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { basename, isAbsolute, join } from 'node:path'
import { REPO, runCli } from '../helpers/cli.ts'
import { exampleWorkspace } from '../helpers/workspace.ts'

// The repo's example workspace, copied: a developer's own .env in the checkout changes nothing here.
const example = exampleWorkspace()
afterAll(() => example.remove())

/** `explain --json` of the example workspace. */
async function explain(...args: string[]) {
  const result = await runCli(['explain', '--json', ...args], { cwd: example.root })
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  expect(result.pm2HomeTouched).toBe(false)
  return JSON.parse(result.stdout)
}

const names = (plan: { workers: { name: string }[] }) => plan.workers.map(w => w.name)

describe('explain on the example workspace', () => {
  test('dev with no selection runs every activated worker, and says why the rest are left out', async () => {
    const plan = await explain('--mode=dev')
    expect(names(plan)).toEqual(['primary-webserver', 'primary-background', 'jobs-mailer'])
    expect(plan.notSelected).toEqual([{ name: 'jobs-reports', group: 'jobs', reason: 'deactivated' }])
    expect(plan.mode).toBe('dev')
  }, 20_000)

  test('start with no selection runs group primary', async () => {
    const plan = await explain('--mode=start')
    expect(names(plan)).toEqual(['primary-webserver', 'primary-background'])
  }, 20_000)

  test('--workers, --group, both (the union, in config order), and lists', async () => {
    expect(names(await explain('--mode=start', '--workers=jobs-mailer'))).toEqual(['jobs-mailer'])
    expect(names(await explain('--group=jobs'))).toEqual(['jobs-mailer'])
    expect(names(await explain('--workers=jobs-mailer', '--group=primary'))).toEqual(['primary-webserver', 'primary-background', 'jobs-mailer'])
    expect(names(await explain('--mode=start', '--group=jobs,primary'))).toEqual(['primary-webserver', 'primary-background', 'jobs-mailer'])
    // primary-background depends on primary-webserver: selecting it brings that in, unless --no-deps.
    expect(names(await explain('--workers', 'primary-background,jobs-mailer'))).toEqual(['primary-webserver', 'primary-background', 'jobs-mailer'])
    expect(names(await explain('--workers', 'primary-background,jobs-mailer', '--no-deps'))).toEqual(['primary-background', 'jobs-mailer'])
  }, 20_000)

  test('each worker carries what PM2 needs: absolute bun named `bun`, absolute script, root cwd, namespace, fork', async () => {
    const plan = await explain('--mode=start')
    const web = plan.workers[0]
    expect(isAbsolute(web.interpreterPath)).toBe(true)
    // PM2 uses its bun wrapper (workers die with their parent) only for a path ending in "bun".
    expect(basename(web.interpreterPath)).toBe('bun')
    expect(web.options.interpreter).toBe(web.interpreterPath)
    expect(web.options.interpreter_args).toEqual(['--no-env-file'])
    expect(web.options.pmx).toBe(false)
    // PM2 runs bun-pm's entry, which loads the worker's script as `bun file.ts` would.
    expect(web.options.script).toBe(join(REPO, 'src/worker/entry.ts'))
    expect(web.script).toBe(join(example.root, 'workers/webserver.ts'))
    expect(web.env.BUN_PM_SCRIPT).toEqual({ value: join(example.root, 'workers/webserver.ts'), source: 'bun-pm' })
    expect(web.options.name).toBe('primary-webserver')
    expect(web.options.cwd).toBe(example.root)
    expect(web.options.namespace).toBe('bun-pm')
    expect(web.options.exec_mode).toBe('fork')
    expect(web.group).toBe('primary')
    expect(web.heartbeat).toBe('http://127.0.0.1:3000/health')
  }, 20_000)

  test('options merge: worker over workspace defaults over the built-in defaults', async () => {
    const plan = await explain('--workers=primary-webserver,jobs-mailer')
    const [web, mailer] = plan.workers
    expect(web.options).toMatchObject({ force: true, max_restarts: 5, autorestart: true, ignore_watch: ['node_modules'] })
    expect(web.options.max_memory_restart).toBe('200M') // workspace defaults over the built-in 100M
    expect(mailer.options.max_memory_restart).toBe('150M') // the worker over the workspace defaults
    expect(web.env.LOG_LEVEL.source).toBe('defaults.env')
    expect(mailer.env.MAIL_BATCH.source).toBe('options.env')
  }, 20_000)

  test('NODE_ENV follows the mode unless the user set it', async () => {
    expect((await explain('--mode=dev')).workers[0].env.NODE_ENV).toEqual({ value: 'development', source: 'mode' })
    expect((await explain('--mode=start')).workers[0].env.NODE_ENV).toEqual({ value: 'production', source: 'mode' })
    const result = await runCli(['explain', '--json', '--mode=start'], { cwd: example.root, env: { NODE_ENV: 'staging' } })
    expect(JSON.parse(result.stdout).workers[0].env.NODE_ENV).toEqual({ value: 'staging', source: 'shell' })
  }, 20_000)

  test('the text form names each worker, its interpreter and script, and masks values', async () => {
    const result = await runCli(['explain', '--mode=start'], { cwd: example.root, env: { PORT: '4123', API_TOKEN: 's3cr3t-token' } })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('primary-webserver  group primary')
    expect(result.stdout).toContain('script       workers/webserver.ts')
    expect(result.stdout).toContain('PORT=***  (from options.env)')
    expect(result.stdout).toContain('NODE_ENV=production  (set by the mode)')
    expect(result.stdout).toContain('not selected: jobs-mailer (not selected), jobs-reports (deactivated)')
    expect(result.stdout).not.toContain('s3cr3t-token')
    // A shell variable reaches a worker through passEnv; its value is never printed.
    const json = await runCli(['explain', '--json'], { cwd: example.root, env: { API_TOKEN: 's3cr3t-token' } })
    expect(JSON.parse(json.stdout).workers[0].env.API_TOKEN).toBeUndefined()
    expect(JSON.parse(json.stdout).workers[0].shellLeftOut).toContain('API_TOKEN')
    expect(json.stdout).not.toContain('s3cr3t-token')
    const own = exampleWorkspace()
    try {
      own.write('pm.config.ts', readFileSync(join(own.root, 'pm.config.ts'), 'utf8').replace('defaults: {', "defaults: { passEnv: ['API_*'],"))
      const passed = await runCli(['explain', '--json'], { cwd: own.root, env: { API_TOKEN: 's3cr3t-token' } })
      expect(JSON.parse(passed.stdout).workers[0].env.API_TOKEN).toEqual({ value: '***', source: 'shell' })
      expect(passed.stdout).not.toContain('s3cr3t-token')
    }
    finally {
      own.remove()
    }
  }, 20_000)
})
