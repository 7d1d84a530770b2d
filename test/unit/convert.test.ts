import { describe, expect, test } from 'bun:test'
import { configSource } from '../../src/init/convert.ts'
import { fromEcosystem } from '../../src/init/ecosystem.ts'
import { fromProcfile } from '../../src/init/procfile.ts'
import { shellWords } from '../../src/init/shell-words.ts'
import { pm2OptionNames, pm2Rules } from '../../src/pm2/schema.ts'
import { applyOverrides } from '../../src/config/overrides.ts'
import { validateWorkspace } from '../../src/config/validate.ts'

type Worker = Record<string, unknown> & { name: string, options?: Record<string, unknown> }
const byName = (workers: Record<string, unknown>[], name: string) => workers.find(w => w.name === name) as Worker

describe('init --from a Procfile', () => {
  // What a Heroku/Foreman user of a bun project writes.
  const procfile = [
    '# processes for foreman start',
    'web: bun run src/server.ts --port $PORT',
    'api: PORT=4000 NODE_ENV=production node --enable-source-maps dist/api.js --listen ${PORT}',
    'jobs: npx tsx watch jobs/index.ts',
    'mailer: bunx tsx workers/mailer.ts',
    'clock: npm run clock',
    'redis: redis-server --port 6380 --save ""',
    'assets: bunx vite build --watch | tee -a logs/assets.log',
    'sync: DATABASE_URL=$PRIMARY_URL bun run scripts/sync.ts',
    'hook: ./bin/hook --port=$PORT',
    'release: bun run db:migrate',
    'not a process line',
  ].join('\n')
  const { workspace, dropped, changed, notes } = fromProcfile(procfile)
  const workers = workspace.workers

  test('each process type gets Foreman\'s PORT: 5000 for the first, 100 more for each next', () => {
    expect(workers.map(w => [w.name, (w as Worker).options!.env])).toEqual([
      ['web', { PORT: '5000' }],
      ['api', { PORT: '4000', NODE_ENV: 'production' }],
      ['jobs', { PORT: '5200' }],
      ['mailer', { PORT: '5300' }],
      ['clock', { PORT: '5400' }],
      ['redis', { PORT: '5500' }],
      ['assets', { PORT: '5600' }],
      ['sync', { PORT: '5700' }],
      ['hook', { PORT: '5800' }],
      ['release', { PORT: '5900' }],
    ])
    expect(notes).toEqual(['Each worker\'s env.PORT is the one Foreman gives its process type: 5000 for the first line, 5100 for the next, and so on.'])
    expect(byName(fromProcfile(procfile, 3000).workspace.workers, 'jobs').options!.env).toEqual({ PORT: '3200' })
  })

  test('a bun, node or tsx script stays a script worker, its $PORT written as the number, leading NAME=value as env', () => {
    // web listens on $PORT (Heroku's contract): a tcp check; release runs before the others.
    expect(byName(workers, 'web')).toEqual({ name: 'web', bun: 'src/server.ts', heartbeat: 'tcp://127.0.0.1:5000', dependsOn: ['release'], options: { args: ['--port', '5000'], env: { PORT: '5000' } } })
    // The leading PORT=4000 is the one its ${PORT} means; node's flags are the interpreter's.
    expect(byName(workers, 'api')).toEqual({ name: 'api', node: 'dist/api.js', dependsOn: ['release'], options: { interpreter: 'node', interpreter_args: ['--enable-source-maps'], args: ['--listen', '4000'], env: { PORT: '4000', NODE_ENV: 'production' } } })
    // npx and bunx run the workspace's own tsx, as bun-pm does; dev does the watching.
    expect(byName(workers, 'jobs')).toEqual({ name: 'jobs', tsx: 'jobs/index.ts', dependsOn: ['release'], options: { interpreter: 'tsx', env: { PORT: '5200' } } })
    expect(byName(workers, 'mailer')).toEqual({ name: 'mailer', tsx: 'workers/mailer.ts', dependsOn: ['release'], options: { interpreter: 'tsx', env: { PORT: '5300' } } })
    expect(changed).toContain('web: `$PORT` is written as 5000 in its args (a script worker runs without a shell); change it there and in env.PORT together')
    expect(changed).toContain('api: `$PORT` is written as 4000 in its args (a script worker runs without a shell); change it there and in env.PORT together')
    expect(changed).toContain('jobs: its watch flag is left out: `bun-pm dev` restarts a worker when its files change, and `start` should not')
  })

  test('any other command is a cmd worker: its words when it needs no shell, else the line for /bin/sh (which expands $PORT as it starts)', () => {
    expect(byName(workers, 'clock').cmd).toEqual(['npm', 'run', 'clock'])
    expect(byName(workers, 'redis').cmd).toEqual(['redis-server', '--port', '6380', '--save', ''])
    expect(byName(workers, 'assets').cmd).toBe('bunx vite build --watch | tee -a logs/assets.log')
    // A variable other than PORT is read when the worker starts, from its environment.
    expect(byName(workers, 'sync').cmd).toBe('DATABASE_URL=$PRIMARY_URL bun run scripts/sync.ts')
    expect(byName(workers, 'hook').cmd).toBe('./bin/hook --port=$PORT')
    // `bun run <package script>` is not a file: the line runs as written.
    expect(byName(workers, 'release').cmd).toEqual(['bun', 'run', 'db:migrate'])
    // `exec` asks the shell to become the program: it runs directly. A builtin needs the shell.
    const more = fromProcfile('web: exec bun src/web.ts\nproxy: exec caddy run\nsetup: ulimit -n 4096 && node dist/server.js\n').workspace.workers
    expect(more.map(w => w.bun ?? w.cmd)).toEqual(['src/web.ts', ['caddy', 'run'], 'ulimit -n 4096 && node dist/server.js'])
    expect(byName(fromProcfile('x: source bin/setup-and-serve').workspace.workers, 'x').cmd).toBe('source bin/setup-and-serve')
  })

  test('a second line of one name gets a name of its own, and says so', () => {
    const twice = fromProcfile('dup: bun a.ts\ndup: bun b.ts\n')
    expect(twice.workspace.workers.map(worker => `${worker.name} ${worker.bun}`)).toEqual(['dup a.ts', 'dup-2 b.ts'])
    expect(twice.changed).toEqual(['dup-2: a second `dup:` line; workers need names of their own, so this one is dup-2'])
  })

  test('release is a one-shot job; a line that is no process is said', () => {
    expect(byName(workers, 'release').options!.autorestart).toBe(false)
    expect(changed).toContain('release: Heroku runs `release` once per deploy, before the new processes; here it is a one-shot job (autorestart: false) that every other worker `dependsOn`: they start once it exited 0, and not when it fails')
    expect(workers.filter(worker => worker.name !== 'release').every(worker => (worker.dependsOn as string[]).join() === 'release')).toBe(true)
    expect(byName(workers, 'release').dependsOn).toBeUndefined()
    expect(dropped).toEqual(['Procfile line 12 ("not a process line"): not `name: command`'])
    expect(fromProcfile('env: FOO=1 BAR=2').dropped).toEqual(['env: "FOO=1 BAR=2" runs nothing'])
  })

  test('the written config says the ports, what changed and what was left out, in TypeScript bun-pm accepts', () => {
    const text = configSource(fromProcfile('web: bun run src/server.ts --port $PORT\nworker: node dist/worker.js\nbad\n'), 'Procfile')
    expect(text).toContain('// Each worker\'s env.PORT is the one Foreman gives its process type: 5000 for the first line, 5100 for the next, and so on.\n')
    expect(text).toContain('// Not carried over from Procfile:\n// - Procfile line 3 ("bad"): not `name: command`\n')
    expect(text).toContain('// Changed:\n// - web: `$PORT` is written as 5000 in its args')
    expect(text).toContain(`      name: 'web',\n      bun: 'src/server.ts',\n      heartbeat: 'tcp://127.0.0.1:5000',\n      options: {\n        args: ['--port', '5000'],\n        env: {\n          PORT: '5000',\n        },\n      },\n`)
    const workspace = new Function(`return ${text.slice(text.indexOf('defineWorkspace(') + 'defineWorkspace('.length, text.lastIndexOf(')'))}`)()
    expect(workspace).toEqual(fromProcfile('web: bun run src/server.ts --port $PORT\nworker: node dist/worker.js\n').workspace)
    expect(() => validateWorkspace(workspace, 'pm.config.ts', pm2Rules())).not.toThrow()
  })
})

describe('shell words', () => {
  test('quotes group, $PORT and ${PORT} expand; anything else a shell does is noticed', () => {
    expect(shellWords(`a 'b c' "d $PORT" \${PORT}x e\\ f`, '5000')).toMatchObject({ words: ['a', 'b c', 'd 5000', '5000x', 'e f'], shell: false, usesPort: true })
    expect(shellWords('a $PORTS', '1').shell).toBe(true)
    for (const line of ['a | b', 'a && b', 'a > f', 'a *.ts', 'a "$HOME"', 'a `b`', 'a $(b)', 'a ~/x', 'a \'b'])
      expect(shellWords(line, '1').shell).toBe(true)
    expect(shellWords('a --flag=x ./b.ts', '1')).toMatchObject({ words: ['a', '--flag=x', './b.ts'], shell: false, usesPort: false })
  })
})

describe('init --from an ecosystem file', () => {
  const apps = [
    { name: 'api', script: 'dist/api.js', instances: 1, max_memory_restart: '300M', env: { PORT: '3000' }, env_production: { PORT: '80' }, cron_restart: '0 3 * * *', watch: false },
    { name: 'web', script: 'src/web.ts', interpreter: '/usr/local/bin/bun', max_memory_restar: '1G' },
    { name: 'py', script: 'app.py', interpreter: 'python3', args: '--workers 2 --title "a b"' },
  ]

  test('options PM2 knows carry over, env_<name> becomes a $<name> override, another interpreter a cmd worker, the rest is said', () => {
    const { workspace, dropped, changed } = fromEcosystem({ apps }, pm2OptionNames())
    expect(workspace.workers).toEqual([
      { name: 'api', node: 'dist/api.js', options: { interpreter: 'node', env: { PORT: '3000' }, instances: 1, max_memory_restart: '300M', cron_restart: '0 3 * * *', watch: false } },
      { name: 'web', bun: 'src/web.ts' },
      { name: 'py', cmd: ['python3', 'app.py', '--workers', '2', '--title', 'a b'] },
    ])
    expect(workspace.$production).toEqual({ workers: [{ name: 'api', options: { env: { PORT: '80' } } }] })
    expect(dropped).toEqual(['web: `max_memory_restar` is not a PM2 option'])
    expect(changed).toEqual(['api: `env_production` is `$production`, which `start` always applies (PM2 applied it only with `--env production`)'])
  })

  test('a script PM2 runs otherwise is a cmd worker as PM2 would run it; paths from the app\'s cwd are the workspace root\'s', () => {
    const { workspace } = fromEcosystem({
      apps: [
        { name: 'npm', script: 'npm', args: ['run', 'start'] },
        { name: 'shell', script: 'python3 -m http.server 8000', args: 'ignored' },
        { name: 'sh', script: 'scripts/backup.sh', cwd: 'ops' },
        { name: 'bin', script: './bin/server', cwd: '/srv/app/services', interpreter: 'none' },
        { name: 'svc', script: 'dist/index.js', cwd: '/srv/app/packages/svc', node_args: '--max-old-space-size=512' },
        { name: 'root', script: '/srv/app/src/main.ts', cwd: '/srv/app' },
      ],
    }, pm2OptionNames(), { root: '/srv/app' })
    expect(workspace.workers).toEqual([
      { name: 'npm', cmd: ['npm', 'run', 'start'] },
      { name: 'shell', cmd: 'python3 -m http.server 8000' },
      { name: 'sh', cmd: ['bash', 'scripts/backup.sh'], options: { cwd: 'ops' } },
      { name: 'bin', cmd: ['services/bin/server'], options: { cwd: 'services' } },
      { name: 'svc', node: 'packages/svc/dist/index.js', options: { interpreter: 'node', node_args: '--max-old-space-size=512', cwd: 'packages/svc' } },
      { name: 'root', bun: 'src/main.ts' },
    ])
  })

  // The file of a PM2 user running one API on every core and deploying with pm2 deploy.
  const ecosystem = {
    apps: [
      {
        name: 'api',
        script: './dist/server.js',
        exec_mode: 'cluster',
        instances: 'max',
        merge_logs: true,
        out_file: './logs/api-out.log',
        error_file: './logs/api-err.log',
        log_date_format: 'YYYY-MM-DD HH:mm Z',
        env: { NODE_ENV: 'development', PORT: 3000 },
        env_production: { NODE_ENV: 'production', PORT: 8080 },
      },
      { name: 'ws', script: 'src/ws.ts', exec_mode: 'cluster_mode', instances: '4', combine_logs: true, time: true },
      { name: 'cron', script: 'dist/cron.js', exec_mode: 'cluster', namespace: 'shop', filter_env: true, append_env_to_name: true },
    ],
    deploy: {
      production: { 'user': 'deploy', 'host': ['10.0.0.1'], 'ref': 'origin/main', 'repo': 'git@example.com:shop.git', 'path': '/srv/shop', 'post-deploy': 'npm ci && pm2 reload ecosystem.config.js --env production' },
      staging: { user: 'deploy', host: '10.0.0.2', ref: 'origin/develop' },
    },
  }

  test('cluster mode becomes replicas in fork mode, on ports of their own when the app has a PORT; it is said either way', () => {
    const { workspace, changed } = fromEcosystem(ecosystem, pm2OptionNames())
    expect(byName(workspace.workers, 'api').options).toEqual({ interpreter: 'node', env: { NODE_ENV: 'development', PORT: 3000 }, instances: 'max', increment_var: 'PORT' })
    expect(byName(workspace.workers, 'ws').options).toEqual({ instances: 4 })
    expect(byName(workspace.workers, 'cron').options).toEqual({ interpreter: 'node' })
    expect(changed).toEqual([
      'api: `env_production` is `$production`, which `start` always applies (PM2 applied it only with `--env production`)',
      'api: `exec_mode: \'cluster\'` with `instances: \'max\'` shared one port; here the replicas run in fork mode, each on its own port with `increment_var: \'PORT\'` (PORT, PORT + 1, …): point your proxy at each of them, or remove increment_var and have the server listen with `reusePort: true` (Bun.serve; Node\'s server.listen from Node 22.12) to share one port again',
      'ws: `exec_mode: \'cluster_mode\'` with `instances: 4` shared one port; here the replicas run in fork mode and share a port only if the server listens with `reusePort: true` (Bun.serve; Node\'s server.listen from Node 22.12), else replica #1 fails with "port in use"; or give each its own port with env.PORT and `increment_var: \'PORT\'`',
      'cron: `exec_mode: \'cluster\'` is fork mode here (bun-pm runs every worker in fork mode: PM2 ignores the bun interpreter in cluster mode); one process, as before',
    ])
    // An increment_var of the app's own is kept, and said.
    const own = fromEcosystem({ apps: [{ name: 'a', script: 'a.js', exec_mode: 'cluster', instances: 2, increment_var: 'HTTP_PORT', env: { HTTP_PORT: '9000', PORT: '1' } }] }, pm2OptionNames())
    expect(byName(own.workspace.workers, 'a').options!.increment_var).toBe('HTTP_PORT')
    expect(own.changed).toEqual(['a: `exec_mode: \'cluster\'` with `instances: 2` is as many replicas in fork mode here, each with its own HTTP_PORT (increment_var, as before)'])
  })

  test('deploy, merged logs, shared log files, PM2\'s stamps, namespace, filter_env and append_env_to_name are left out, each with why', () => {
    const { dropped } = fromEcosystem(ecosystem, pm2OptionNames())
    expect(dropped).toEqual([
      'api: `merge_logs`: bun-pm writes each replica\'s output to files of its own and `logs` names the replica of each line; merged, one replica\'s crash would show under another\'s name',
      'api: `log_date_format`: bun-pm stamps every line itself (ISO time, which `logs` shows local and filters with --since); with PM2\'s stamp instead, `logs --since` would leave the lines out',
      'api: `out_file` "./logs/api-out.log": every replica would write this one file, and `logs` would show each one\'s lines under the others; bun-pm gives each replica files of its own (<name>-<i>-out.log, <name>-<i>-error.log)',
      'api: `error_file` "./logs/api-err.log": every replica would write this one file, and `logs` would show each one\'s lines under the others; bun-pm gives each replica files of its own (<name>-<i>-out.log, <name>-<i>-error.log)',
      'ws: `combine_logs`: bun-pm writes each replica\'s output to files of its own and `logs` names the replica of each line; merged, one replica\'s crash would show under another\'s name',
      'ws: `time`: bun-pm stamps every line itself (ISO time, which `logs` shows local and filters with --since); with PM2\'s stamp instead, `logs --since` would leave the lines out',
      'cron: `namespace` "shop": bun-pm runs every worker in the workspace\'s namespace (the workspace `name`), so that its commands touch its own processes only',
      'cron: `filter_env`: bun-pm gives a worker only your shell\'s runtime variables, the .env files and its `env` already (add others with `passEnv`)',
      'cron: `append_env_to_name`: a worker\'s PM2 process is named after the worker in every environment: bun-pm\'s commands find it by that name',
      '`deploy` (production, staging): bun-pm does not deploy; keep this file for `pm2 deploy ecosystem.config.js <target>`, with a `post-deploy` that runs `npx bun-pm start` where it ran `pm2 reload` or `pm2 startOrRestart`',
    ])
    // One process keeps the log file it names: nothing shares it.
    const single = fromEcosystem({ apps: [{ name: 'a', script: 'a.js', out_file: 'a.log', merge_logs: true }] }, pm2OptionNames())
    expect(byName(single.workspace.workers, 'a').options).toEqual({ interpreter: 'node', out_file: 'a.log' })
    // PM2 leaves an autostart: false app stopped; bun-pm's start would wait for it.
    const manual = fromEcosystem({ apps: [{ name: 'backfill', script: 'backfill.ts', autostart: false }] }, pm2OptionNames())
    expect(manual.workspace.workers).toEqual([{ name: 'backfill', bun: 'backfill.ts', group: 'manual' }])
    expect(manual.changed).toEqual(['backfill: `autostart: false` is group \'manual\' here: `start` without a selection leaves it out, `start --workers=backfill` starts it (`dev` runs it with the others)'])
    // false is what bun-pm does anyway: nothing to say.
    expect(fromEcosystem({ apps: [{ name: 'a', script: 'a.js', merge_logs: false, time: false }] }, pm2OptionNames()).dropped).toEqual([])
    expect(fromEcosystem({ apps: [], extra: 1 }, pm2OptionNames()).dropped).toEqual(['`extra`: not a key of a PM2 ecosystem file (only `apps` and `deploy` are)'])
  })

  test('what it writes is a workspace bun-pm accepts, in every environment', () => {
    for (const file of [{ apps }, ecosystem]) {
      const conversion = fromEcosystem(file, pm2OptionNames())
      // cmd workers are checked by the loader's own tests; the script workers here, fully.
      const scripts = { ...conversion.workspace, workers: conversion.workspace.workers.filter(w => w.cmd === undefined) }
      for (const env of ['development', 'production'])
        expect(() => validateWorkspace(applyOverrides(scripts, env), 'pm.config.ts', pm2Rules())).not.toThrow()
    }
    const conversion = fromEcosystem(ecosystem, pm2OptionNames())
    expect(configSource(conversion, 'ecosystem.config.js')).toContain('// Not carried over from ecosystem.config.js:\n// - api: `merge_logs`: ')
    expect(configSource(conversion, 'ecosystem.config.js')).toContain('// Changed:\n// - api: `env_production` is `$production`, which `start` always applies (PM2 applied it only with `--env production`)\n// - api: `exec_mode: \'cluster\'` with `instances: \'max\'` shared one port;')
    expect((applyOverrides(conversion.workspace, 'production').workers as { options?: { env?: unknown } }[])[0]!.options!.env).toEqual({ NODE_ENV: 'production', PORT: 8080 })
  })
})
