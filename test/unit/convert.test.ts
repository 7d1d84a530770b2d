import { describe, expect, test } from 'bun:test'
import { configSource, fromEcosystem, fromProcfile } from '../../src/init/convert.ts'
import { pm2OptionNames, pm2Rules } from '../../src/pm2/schema.ts'
import { applyOverrides } from '../../src/config/overrides.ts'
import { validateWorkspace } from '../../src/config/validate.ts'

describe('init --from a Procfile', () => {
  test('bun, node and tsx scripts carry over with their arguments; other commands are said', () => {
    const { workspace, dropped } = fromProcfile('web: bun run src/server.ts --port 3000\nworker: node dist/worker.js\n# a comment\njobs: tsx jobs.ts\nrelease: npm run migrate\n')
    expect(workspace.workers).toEqual([
      { name: 'web', bun: 'src/server.ts', options: { args: ['--port', '3000'] } },
      { name: 'worker', node: 'dist/worker.js', options: { interpreter: 'node' } },
      { name: 'jobs', tsx: 'jobs.ts', options: { interpreter: 'tsx' } },
    ])
    expect(dropped).toEqual(['release: "npm run migrate" is not a bun, node or tsx script; bun-pm runs scripts only (for a package script, point the worker at the file it runs)'])
  })
})

describe('init --from an ecosystem file', () => {
  const apps = [
    { name: 'api', script: 'dist/api.js', instances: 1, max_memory_restart: '300M', env: { PORT: '3000' }, env_production: { PORT: '80' }, cron_restart: '0 3 * * *', watch: false },
    { name: 'web', script: 'src/web.ts', interpreter: '/usr/local/bin/bun', exec_mode: 'cluster', max_memory_restar: '1G' },
    { name: 'py', script: 'app.py', interpreter: 'python3' },
  ]

  test('options PM2 knows carry over, env_<name> becomes a $<name> override, the rest is said', () => {
    const { workspace, dropped } = fromEcosystem(apps, pm2OptionNames())
    expect(workspace.workers).toEqual([
      { name: 'api', node: 'dist/api.js', options: { interpreter: 'node', env: { PORT: '3000' }, instances: 1, max_memory_restart: '300M', cron_restart: '0 3 * * *', watch: false } },
      { name: 'web', bun: 'src/web.ts' },
    ])
    expect(workspace.$production).toEqual({ workers: [{ name: 'api', options: { env: { PORT: '80' } } }] })
    expect(dropped).toEqual([
      'web: exec_mode "cluster" (bun-pm runs fork mode only: PM2 ignores the bun interpreter in cluster mode)',
      'web: `max_memory_restar` is not a PM2 option',
      'py: interpreter "python3" is not bun, node or tsx',
    ])
  })

  test('what it writes is a workspace bun-pm accepts, in every environment', () => {
    const conversion = fromEcosystem(apps, pm2OptionNames())
    expect(configSource(conversion, 'ecosystem.config.js')).toContain('// - py: interpreter "python3" is not bun, node or tsx')
    for (const env of ['development', 'production'])
      expect(() => validateWorkspace(applyOverrides(conversion.workspace, env), 'pm.config.ts', pm2Rules())).not.toThrow()
    expect((applyOverrides(conversion.workspace, 'production').workers as { options?: { env?: unknown } }[])[0]!.options!.env).toEqual({ PORT: '80' })
  })
})
