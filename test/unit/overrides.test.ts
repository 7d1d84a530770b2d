import { describe, expect, test } from 'bun:test'
import { pm2OptionNames, pm2Rules } from '../../src/pm2/schema.ts'
import { applyOverrides } from '../../src/config/overrides.ts'
import { validateOverrides, validateWorkspace } from '../../src/config/validate.ts'

const base = {
  defaults: { env: { LOG_LEVEL: 'info' }, kill_timeout: 3000 },
  workers: [{ name: 'web', bun: 'web.ts', options: { max_memory_restart: '100M', env: { PORT: '3000' } } }, { name: 'tick', bun: 'tick.ts' }],
  $production: { defaults: { env: { LOG_LEVEL: 'warn' } }, workers: [{ name: 'web', options: { max_memory_restart: '1G' } }] },
  $env: { staging: { name: 'shop-staging', workers: [{ name: 'probe', bun: 'probe.ts' }] } },
}

describe('per-environment overrides', () => {
  test('the environment\'s block lies over the workspace: objects key by key, workers by name', () => {
    const production = applyOverrides(base, 'production') as typeof base
    expect(production.defaults).toEqual({ env: { LOG_LEVEL: 'warn' }, kill_timeout: 3000 })
    expect(production.workers[0]).toEqual({ name: 'web', bun: 'web.ts', options: { max_memory_restart: '1G', env: { PORT: '3000' } } })
    expect(production.workers[1]).toEqual({ name: 'tick', bun: 'tick.ts' })
    expect(Object.keys(production).filter(key => key.startsWith('$'))).toEqual([])
  })

  test('$env.<name> for --env=<name>, a new worker added; no block: the workspace as it is', () => {
    const staging = applyOverrides(base, 'staging') as { name: string, workers: { name: string }[] }
    expect(staging.name).toBe('shop-staging')
    expect(staging.workers.map(w => w.name)).toEqual(['web', 'tick', 'probe'])
    expect(applyOverrides(base, 'development')).toEqual({ defaults: base.defaults, workers: base.workers })
  })

  test('blocks are checked for their shape; the merged workspace is validated as any other', () => {
    expect(() => validateOverrides({ $production: { defualts: {} } }, 'pm.config.ts')).toThrow('pm.config.ts: `$production` has an unknown field `defualts` (did you mean "defaults"?)')
    expect(() => validateOverrides({ $production: { workers: [{ bun: 'x.ts' }] } }, 'pm.config.ts')).toThrow('`$production`.workers must be an array of workers, each with the `name`')
    expect(() => validateOverrides({ $env: 3 }, 'pm.config.ts')).toThrow('`$env` must be an object of environments')
    expect(() => validateWorkspace(applyOverrides(base, 'production'), 'pm.config.ts', pm2Rules())).not.toThrow()
  })
})

describe('options against PM2\'s own schema', () => {
  const check = (options: Record<string, unknown>) => {
    try {
      validateWorkspace({ workers: [{ name: 'web', bun: 'web.ts', options }] }, 'pm.config.ts', pm2Rules())
      return 'accepted'
    }
    catch (error) {
      return (error as Error).message
    }
  }

  test('PM2\'s names and aliases pass, read from the installed pm2; bun-pm\'s own health too', () => {
    expect(pm2OptionNames().has('max_memory_restart')).toBe(true)
    expect(pm2OptionNames().has('interpreter_args')).toBe(true)
    expect(check({ max_memory_restart: '1G', kill_timeout: 3000, cron_restart: '0 * * * *', interpreter_args: ['--smol'], health: { failures: 2 } })).toBe('accepted')
  })

  test('a misspelt option is an error with the closest name; env_<name> and namespace say what to do instead', () => {
    expect(check({ max_memory_restar: '1G' })).toBe('pm.config.ts: worker "web": `options` has an unknown option `max_memory_restar` (did you mean "max_memory_restart"?); see PM2\'s options (https://pm2.keymetrics.io/docs/usage/application-declaration/)')
    expect(check({ env_production: { A: '1' } })).toContain('sets `env_production`, PM2\'s per-environment env, which bun-pm does not read; write it as `$production: { defaults: { env: { ... } } }`')
    expect(check({ namespace: 'other' })).toContain('sets `namespace`; remove it: bun-pm runs every worker in the workspace\'s namespace')
  })
})
