import { describe, expect, test } from 'bun:test'
import type { ProcessDescription } from 'pm2'
import { slimDescription, toProcView } from '../../src/pm2/process-view.ts'

// A process as PM2's getMonitorData lists it: its environment both under `env` and spread over
// pm2_env, and much that bun-pm never reads.
function listed(overrides: Record<string, unknown> = {}): ProcessDescription {
  const env = { PORT: '3000', API_KEY: 'secret', BUN_PM_PLAN_HASH: 'abc123', BUN_PM_PLAN: '{"code":"x"}', bun_pm_logs: '{"max":1}', PATH: '/usr/bin' }
  return {
    name: 'web',
    pm_id: 4,
    pid: process.pid,
    monit: { memory: 1234, cpu: 1.5 },
    pm2_env: {
      ...env,
      env,
      namespace: 'shop',
      instance_var: 'INSTANCE_ID',
      INSTANCE_ID: 2,
      unique_id: 'u-1',
      status: 'online',
      restart_time: 3,
      unstable_restarts: 1,
      exit_code: 1,
      exit_signal: 'SIGKILL',
      pm_uptime: 1_700_000_000_000,
      pm_out_log_path: '/tmp/web-out.log',
      pm_err_log_path: '/tmp/web-err.log',
      kill_timeout: 1600,
      node_args: ['--preload', '/x/entry.js'],
      pmx: false,
      axm_options: { big: 'x'.repeat(1000) },
      versioning: null,
      ...overrides,
    },
  } as unknown as ProcessDescription
}

describe('the slim process list of bun-pm\'s daemons', () => {
  test('reads back as the full one does, but for the variables bun-pm does not read', () => {
    for (const proc of [listed(), listed({ instance_var: undefined, NODE_APP_INSTANCE: 1, exit_signal: null, exit_code: 0 }), listed({ env: undefined }), { name: 'x', pm_id: 0 } as ProcessDescription]) {
      const full = toProcView(proc)
      const ours = Object.fromEntries(Object.entries(full.env).filter(([key]) => /^bun_pm_/i.test(key)))
      expect(toProcView(slimDescription(proc))).toEqual({ ...full, env: ours })
    }
  })

  test('drops what bun-pm does not read: other variables, PM2\'s own fields', () => {
    const slim = slimDescription(listed())
    const text = JSON.stringify(slim)
    expect(text).not.toContain('secret')
    expect(text).not.toContain('axm_options')
    expect(Object.keys((slim.pm2_env as { env: object }).env).sort()).toEqual(['BUN_PM_PLAN', 'BUN_PM_PLAN_HASH', 'bun_pm_logs'])
    expect(text.length).toBeLessThan(JSON.stringify(listed()).length / 3)
  })
})
