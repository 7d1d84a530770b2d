import { describe, expect, test } from 'bun:test'
import { layerBaseEnv, layerEnv, withDotenv, withPassed } from '../../src/config/env.ts'

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

  test('options.dotenv: all of the files\' variables, none, or those named; the shell\'s value of a file variable goes with it; NODE_ENV and the runtime stay', () => {
    const env = layerBaseEnv({
      files: [['.env', { REDIS_URL: 'redis://x', API_KEY: 'k', NODE_ENV: 'staging' }], ['.env.local', { REDIS_PORT: '6380' }]],
      shell: { API_KEY: 'from-shell', PATH: '/bin' },
      mode: 'start',
    })
    const fileKeys = new Set(['REDIS_URL', 'API_KEY', 'NODE_ENV', 'REDIS_PORT'])
    expect(withDotenv(env, fileKeys, undefined)).toBe(env)
    expect(withDotenv(env, fileKeys, true)).toBe(env)
    expect(Object.keys(withDotenv(env, fileKeys, false)).sort()).toEqual(['NODE_ENV', 'PATH'])
    expect(Object.keys(withDotenv(env, fileKeys, ['REDIS_*'])).sort()).toEqual(['NODE_ENV', 'PATH', 'REDIS_PORT', 'REDIS_URL'])
    expect(withDotenv(env, fileKeys, ['API_KEY']).API_KEY).toEqual({ value: 'from-shell', source: 'shell' })
  })
})
