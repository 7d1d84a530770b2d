// `init --from ecosystem.config.js`: PM2's apps as workers, with what bun-pm runs otherwise than
// PM2 did said (cluster mode, merged logs, PM2's log stamps) and what it leaves to PM2 (`deploy`). Pure.

import { posix } from 'node:path'
import type { Interpreter } from '../types/config.ts'
import { type Conversion, INTERPRETER_BY_COMMAND, SCRIPT_FILE, workerName } from './convert.ts'
import { pm2Words } from './shell-words.ts'

/** PM2 app keys read into a worker's own fields, or handled on their own below. */
const APP_KEYS_TAKEN = new Set(['name', 'script', 'interpreter', 'exec_interpreter', 'env', 'exec_mode', 'cwd', 'args', 'interpreter_args', 'node_args'])

const SEPARATE_LOGS = 'bun-pm writes each replica\'s output to files of its own and `logs` names the replica of each line; merged, one replica\'s crash would show under another\'s name'
const OWN_STAMPS = 'bun-pm stamps every line itself (ISO time, which `logs` shows local and filters with --since); with PM2\'s stamp instead, `logs --since` would leave the lines out'

/** PM2 options that would act wrongly under bun-pm: left out, with why. */
const LEFT_OUT: Record<string, string> = {
  namespace: 'bun-pm runs every worker in the workspace\'s namespace (the workspace `name`), so that its commands touch its own processes only',
  merge_logs: SEPARATE_LOGS,
  combine_logs: SEPARATE_LOGS,
  log_date_format: OWN_STAMPS,
  time: OWN_STAMPS,
  filter_env: 'bun-pm gives a worker only your shell\'s runtime variables, the .env files and its `env` already (add others with `passEnv`)',
  append_env_to_name: 'a worker\'s PM2 process is named after the worker in every environment: bun-pm\'s commands find it by that name',
}

/** PM2's names (and aliases) of the files a process's output goes to. */
const LOG_FILE_KEYS = ['out_file', 'out', 'output', 'out_log', 'error_file', 'error', 'err', 'err_file', 'err_log', 'log_file', 'log']

/** The interpreters PM2 picks by a script's extension (pm2/lib/API/interpreter.json), for scripts bun-pm does not run as scripts. */
const INTERPRETER_BY_EXTENSION: Record<string, string> = { '.sh': 'bash', '.py': 'python3', '.rb': 'ruby', '.php': 'php', '.pl': 'perl', '.coffee': 'coffee' }

/** The interpreter a script name suggests: TypeScript runs under bun, JavaScript under node. */
function interpreterFor(script: string): Interpreter {
  return /\.[cm]?tsx?$/.test(script) ? 'bun' : 'node'
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** An `args`-like value as a list of words, as PM2 reads it. */
function wordsOf(value: unknown): string[] {
  if (Array.isArray(value))
    return value.map(String)
  return typeof value === 'string' ? pm2Words(value) : []
}

/**
 * A PM2 ecosystem file (its exported object) as a workspace: each app's name, script and
 * interpreter become a worker (a script worker under bun, node or tsx; any other program a `cmd`
 * worker); `env` its `options.env`; `env_<name>` a `$<name>` override; the other options whose
 * names PM2 knows (`optionNames`) carry over as they are. Cluster mode becomes replicas in fork
 * mode; options that would act wrongly here, `deploy` and unknown keys are left out; each is said.
 * Absolute paths inside `root` (`cwd: __dirname`) are written relative to it. Pure.
 */
export function fromEcosystem(file: unknown, optionNames: ReadonlySet<string>, { root, fileName = 'ecosystem.config.js' }: { root?: string, fileName?: string } = {}): Conversion {
  const workers: Record<string, unknown>[] = []
  const overrides: Record<string, { workers: Record<string, unknown>[] }> = {}
  const dropped: string[] = []
  const changed: string[] = []
  const config = isRecord(file) ? file : {}
  const apps = config.apps
  const list = Array.isArray(apps) ? apps : []
  if (!Array.isArray(apps))
    dropped.push('the file has no `apps` array')
  for (const [index, value] of list.entries()) {
    const app = isRecord(value) ? { ...value } : {}
    for (const key of ['cwd', 'script'] as const) {
      if (root && typeof app[key] === 'string' && posix.isAbsolute(app[key]) && (app[key] === root || app[key].startsWith(`${root}/`)))
        app[key] = posix.relative(root, app[key]) || undefined
    }
    const name = workerName(String(app.name ?? ''), index)
    if (typeof app.script !== 'string' || !app.script.trim()) {
      dropped.push(`${name}: no \`script\``)
      continue
    }
    const worker = appWorker(app, name)
    const options = worker.options as Record<string, unknown>
    if (typeof app.cwd === 'string')
      options.cwd = app.cwd
    if (isRecord(app.env))
      options.env = app.env
    for (const [key, option] of Object.entries(app)) {
      const env = /^env_(\w+)$/.exec(key)
      if (env) {
        (overrides[`$${env[1]}`] ??= { workers: [] }).workers.push({ name, options: { env: option } })
        // PM2 applies env_production only with `--env production`; bun-pm's `start` always is production.
        if (env[1] === 'production' || env[1] === 'development')
          changed.push(`${name}: \`${key}\` is \`$${env[1]}\`, which \`${env[1] === 'production' ? 'start' : 'dev'}\` always applies (PM2 applied it only with \`--env ${env[1]}\`)`)
        continue
      }
      if (APP_KEYS_TAKEN.has(key))
        continue
      if (LEFT_OUT[key] !== undefined) {
        // `merge_logs: false`, `time: false`: what bun-pm does anyway.
        if (option !== false)
          dropped.push(`${name}: \`${key}\`${key === 'namespace' ? ` "${String(option)}"` : ''}: ${LEFT_OUT[key]}`)
      }
      else if (optionNames.has(key))
        options[key] = option
      else
        dropped.push(`${name}: \`${key}\` is not a PM2 option`)
    }
    if (typeof options.instances === 'string' && options.instances !== 'max')
      options.instances = Number.parseInt(options.instances) || 'max'
    if (options.instances !== undefined && options.instances !== 1) {
      // bun-pm starts each replica as a PM2 process of its own, which PM2 then never gives a file
      // of its own: the replicas would share the file named here.
      for (const key of LOG_FILE_KEYS.filter(key => options[key] !== undefined)) {
        dropped.push(`${name}: \`${key}\` ${JSON.stringify(options[key])}: every replica would write this one file, and \`logs\` would show each one's lines under the others; bun-pm gives each replica files of its own (<name>-<i>-out.log, <name>-<i>-error.log)`)
        delete options[key]
      }
    }
    if (options.autostart === false) {
      // PM2 lists such an app stopped until `pm2 start <name>`; bun-pm's start would wait for it to be ready.
      delete options.autostart
      worker.group = 'manual'
      changed.push(`${name}: \`autostart: false\` is group 'manual' here: \`start\` without a selection leaves it out, \`start --workers=${name}\` starts it (\`dev\` runs it with the others)`)
    }
    const cluster = app.exec_mode !== undefined && !['fork', 'fork_mode'].includes(String(app.exec_mode))
    if (cluster)
      changed.push(clusterChange(app, name, options))
    if (Object.keys(options).length === 0)
      delete worker.options
    workers.push(worker.group ? { name, group: worker.group, ...worker } : worker)
  }
  if (config.deploy !== undefined) {
    const targets = isRecord(config.deploy) ? Object.keys(config.deploy) : []
    dropped.push(`\`deploy\`${targets.length > 0 ? ` (${targets.join(', ')})` : ''}: bun-pm does not deploy; keep this file for \`pm2 deploy ${fileName} <target>\`, with a \`post-deploy\` that runs \`npx bun-pm start\` where it ran \`pm2 reload\` or \`pm2 startOrRestart\``)
  }
  for (const key of Object.keys(config).filter(key => !['apps', 'deploy'].includes(key)))
    dropped.push(`\`${key}\`: not a key of a PM2 ecosystem file (only \`apps\` and \`deploy\` are)`)
  return { workspace: { workers, ...overrides }, dropped, changed }
}

/** The worker's name and program, and the options that say how to run it. */
function appWorker(app: Record<string, unknown>, name: string): Record<string, unknown> {
  const script = (app.script as string).trim()
  const cwd = typeof app.cwd === 'string' ? app.cwd : undefined
  const args = wordsOf(app.args)
  const interpreterArgs = [...wordsOf(app.interpreter_args), ...wordsOf(app.node_args)]
  const declared = String(app.interpreter ?? app.exec_interpreter ?? '')
  const known = INTERPRETER_BY_COMMAND[declared.split('/').at(-1)!.replace(/\.exe$/, '')]
  const isScript = SCRIPT_FILE.test(script) && !script.includes(' ')
  const interpreter = known ?? ((declared === '' || declared === 'none') && isScript ? interpreterFor(script) : undefined)
  if (interpreter) {
    // PM2 finds the script from the app's cwd; bun-pm from the workspace root.
    const path = cwd && !posix.isAbsolute(script) ? posix.join(cwd, script) : posix.normalize(script)
    const options: Record<string, unknown> = {}
    if (interpreter !== 'bun')
      options.interpreter = interpreter
    for (const key of ['args', 'interpreter_args', 'node_args']) {
      if (app[key] !== undefined)
        options[key] = app[key]
    }
    return { name, [interpreter]: path, options }
  }
  // PM2 runs a script with a space in it as `bash -c '<script>'`, leaving `args` out.
  if (script.includes(' '))
    return { name, cmd: script, options: {} }
  const program = declared !== '' && declared !== 'none'
    ? [declared, ...interpreterArgs, script]
    : INTERPRETER_BY_EXTENSION[posix.extname(script)] !== undefined
      ? [INTERPRETER_BY_EXTENSION[posix.extname(script)]!, ...interpreterArgs, script]
      : [cwd && script.includes('/') && !posix.isAbsolute(script) ? posix.join(cwd, script) : script]
  return { name, cmd: [...program, ...args], options: {} }
}

/** What cluster mode becomes: replicas in fork mode, and how they meet the one port they shared. */
function clusterChange(app: Record<string, unknown>, name: string, options: Record<string, unknown>): string {
  const mode = `\`exec_mode: '${String(app.exec_mode)}'\``
  if (options.instances === undefined || options.instances === 1)
    return `${name}: ${mode} is fork mode here (bun-pm runs every worker in fork mode: PM2 ignores the bun interpreter in cluster mode); one process, as before`
  const replicas = `\`instances: ${typeof options.instances === 'string' ? `'${options.instances}'` : String(options.instances)}\``
  if (options.increment_var !== undefined)
    return `${name}: ${mode} with ${replicas} is as many replicas in fork mode here, each with its own ${String(options.increment_var)} (increment_var, as before)`
  const envs = [app.env, ...Object.entries(app).filter(([key]) => key.startsWith('env_')).map(([, env]) => env)]
  if (envs.some(env => isRecord(env) && env.PORT !== undefined)) {
    options.increment_var = 'PORT'
    return `${name}: ${mode} with ${replicas} shared one port; here the replicas run in fork mode, each on its own port with \`increment_var: 'PORT'\` (PORT, PORT + 1, …): point your proxy at each of them, or remove increment_var and have the server listen with \`reusePort: true\` (Bun.serve; Node's server.listen from Node 22.12) to share one port again`
  }
  return `${name}: ${mode} with ${replicas} shared one port; here the replicas run in fork mode and share a port only if the server listens with \`reusePort: true\` (Bun.serve; Node's server.listen from Node 22.12), else replica #1 fails with "port in use"; or give each its own port with env.PORT and \`increment_var: 'PORT'\``
}
