import { describe, expect, test } from 'bun:test'
import { flagProblem } from '../../src/commands/reject-unknown-flags.ts'
import { depsArg, jsonArg, selectionArgs } from '../../src/commands/_shared.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'
import { mergeOptions } from '../../src/config/defaults.ts'
import { layerBaseEnv, layerEnv, withPassed } from '../../src/config/env.ts'
import type { LoadedWorker, LoadedWorkspace } from '../../src/config/load.ts'
import { selectTargets, selectWorkers } from '../../src/plan/select.ts'

describe('env layering', () => {
  test('.env < .env.local < shell < mode (only when unset); of the shell only what runs programs, what the files name, and NODE_ENV', () => {
    const env = layerBaseEnv({
      files: [['.env', { A: 'env', B: 'env', C: 'env' }], ['.env.local', { B: 'local', C: 'local' }]],
      shell: { C: 'shell', npm_package_name: 'x', INIT_CWD: '/x', PATH: '/bin', LC_ALL: 'C', SHLVL: '7', SSH_CLIENT: '10.0.0.1 22 22', OLDPWD: '/', AWS_PROFILE: 'deploy' },
      mode: 'start',
    })
    expect(env).toEqual({
      A: { value: 'env', source: '.env' },
      B: { value: 'local', source: '.env.local' },
      C: { value: 'shell', source: 'shell' },
      PATH: { value: '/bin', source: 'runtime' },
      LC_ALL: { value: 'C', source: 'runtime' },
      NODE_ENV: { value: 'production', source: 'mode' },
    })
    expect(layerBaseEnv({ files: [], shell: { NODE_ENV: 'staging' }, mode: 'start' }).NODE_ENV).toEqual({ value: 'staging', source: 'shell' })
    // passEnv lets named shell variables through, by name or with *; they count.
    const passed = withPassed(env, ['AWS_*', 'NOPE'], { AWS_PROFILE: 'deploy', AWS_REGION: 'eu', SHLVL: '7' })
    expect([passed.AWS_PROFILE, passed.AWS_REGION, passed.SHLVL, passed.NOPE]).toEqual([{ value: 'deploy', source: 'shell' }, { value: 'eu', source: 'shell' }, undefined, undefined])
    expect(layerBaseEnv({ files: [['.env', { NODE_ENV: 'staging' }]], shell: {}, mode: 'dev' }).NODE_ENV).toEqual({ value: 'staging', source: '.env' })
    expect(layerBaseEnv({ files: [], shell: {}, mode: 'dev' }).NODE_ENV).toEqual({ value: 'development', source: 'mode' })
  })

  test('defaults.env and options.env lie over it; numbers become strings, undefined is skipped', () => {
    const base = layerBaseEnv({ files: [['.env', { PORT: '0' }]], shell: { PORT: '1' }, mode: 'dev' })
    const env = layerEnv(layerEnv(base, { PORT: 2, X: undefined }, 'defaults.env'), { PORT: '3' }, 'options.env')
    expect(env.PORT).toEqual({ value: '3', source: 'options.env' })
    expect(layerEnv(base, { PORT: 2 }, 'defaults.env').PORT).toEqual({ value: '2', source: 'defaults.env' })
    expect('X' in env).toBe(false)
  })
})

describe('option merging', () => {
  test('worker over defaults over built-ins; arrays combine, argument lists are replaced; health merges key by key', () => {
    const merged = mergeOptions(
      { max_memory_restart: '1G', ignore_watch: ['tmp'], node_args: ['--b'], health: { failures: 5 } },
      { max_memory_restart: '200M', ignore_watch: ['logs'], node_args: ['--a'], health: { interval: '1s' }, kill_timeout: 3000 },
    )
    expect(merged).toMatchObject({
      max_memory_restart: '1G',
      kill_timeout: 3000,
      max_restarts: 5,
      autorestart: true,
      ignore_watch: ['tmp', 'logs', 'node_modules'],
      node_args: ['--b'],
      health: { failures: 5, interval: '1s' },
    })
    const policy = toHealthPolicy('http://127.0.0.1:1/', merged)
    expect([policy.failures, policy.intervalMs, policy.maxRestarts, policy.minUptimeMs]).toEqual([5, 1000, 5, 30_000])
  })
})

describe('selection', () => {
  const worker = (name: string, group: string, extra: Partial<LoadedWorker> = {}) => ({ name, group, activated: true, dependsOn: [], ...extra }) as LoadedWorker
  const ws = {
    configLabel: 'pm.config.ts',
    workers: [
      worker('db', 'infra'),
      worker('web', 'primary', { dependsOn: ['db'] }),
      worker('mail', 'jobs'),
      worker('old', 'jobs', { activated: false }),
    ],
  } as LoadedWorkspace
  const names = (selected: { workers: LoadedWorker[] }) => selected.workers.map(w => w.name)

  test('start: group primary by default, with what it depends on; dev: every activated worker', () => {
    const start = selectWorkers(ws, {}, 'start')
    expect(names(start)).toEqual(['db', 'web'])
    expect(start.added).toEqual([{ name: 'db', neededBy: ['web'] }])
    expect(names(selectWorkers(ws, {}, 'dev'))).toEqual(['db', 'web', 'mail'])
  })

  test('--workers and --group select the union in config order; --no-deps leaves dependencies out', () => {
    expect(names(selectWorkers(ws, { workers: ['mail'], groups: ['primary'] }, 'start'))).toEqual(['db', 'web', 'mail'])
    expect(names(selectWorkers(ws, { workers: ['web'], noDeps: true }, 'start'))).toEqual(['web'])
  })

  test('unknown names suggest the closest; a deactivated worker named is an error; stop/status targets include it', () => {
    expect(() => selectWorkers(ws, { workers: ['wbe'] }, 'dev')).toThrow('pm.config.ts: no worker is named "wbe" (did you mean "web"?)')
    expect(() => selectWorkers(ws, { groups: ['job'] }, 'dev')).toThrow('no worker is in group "job" (did you mean "jobs"?)')
    expect(() => selectWorkers(ws, { workers: ['old'] }, 'dev')).toThrow('worker "old" is deactivated')
    expect(selectTargets(ws, { groups: ['jobs'] }).map(w => w.name)).toEqual(['mail', 'old'])
    expect(selectTargets(ws, {}).map(w => w.name)).toEqual(['db', 'web', 'mail', 'old'])
  })
})

describe('flags', () => {
  const args = { ...selectionArgs, ...depsArg, ...jsonArg }

  test('known flags, values in either form, and --no-<boolean> pass', () => {
    expect(flagProblem(['--workers=a,b', '--group', 'g', '--no-deps', '--json', '--cwd', '/x'], args, 'start')).toBeUndefined()
    expect(flagProblem(['--', 'anything'], args, 'start')).toBeUndefined()
  })

  test('an unknown flag suggests the closest; a stray word says how to select workers', () => {
    expect(flagProblem(['--grup=g'], args, 'start')).toBe('unknown flag --grup (did you mean "group"?) for `start`; run `start --help` for its flags')
    expect(flagProblem(['web'], args, 'dev')).toBe('`dev` takes no argument "web"; to select workers write --workers=web')
    expect(flagProblem(['--json', 'web'], args, 'dev')).toBe('`dev` takes no argument "web"; to select workers write --workers=web')
  })
})
