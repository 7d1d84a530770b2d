// The config's shape checked field by field: every mistake is one line naming the file, the
// worker and the fix. Pure: PM2's own rules come in.

import { WorkspaceError } from '../errors.ts'
import type { Worker, WorkerOptions, Workspace } from '../types/config.ts'
import { parseDuration, parseHeartbeat } from '../model/heartbeat.ts'
import { findCycle } from '../model/order.ts'
import { didYouMean } from '../model/suggest.ts'
import { INTERPRETERS, isInterpreter } from '../model/interpreters.ts'
import { parseSize } from '../model/log-lines.ts'
import { parsePublish } from '../model/publish.ts'
import type { Pm2Rules } from '../types/config.ts'
import { NOT_FOR_CMD } from '../model/command.ts'

const WORKSPACE_KEYS = ['name', 'defaults', 'workers']
const WORKER_KEYS = ['name', 'group', 'activated', 'heartbeat', 'dependsOn', 'bun', 'node', 'tsx', 'cmd', 'options']
const HEALTH_KEYS = ['interval', 'timeout', 'failures', 'grace', 'readyAfter']
const HEARTBEAT_FORMS = `'http://127.0.0.1:3000/health', 'tcp://127.0.0.1:5432', a duration such as '30s', or '' for none`

/** Worker, group and workspace names: what PM2 and the `--workers`/`--group` flags read back intact. */
export const NAME_RULE = 'letters, digits, ".", "_" and "-", starting with a letter or digit, not only digits, and not "all"'
const NAME_PATTERN = /^[A-Za-z0-9][\w.-]*$/

type Fail = (problem: string) => never

const MEMORY_PATTERN = /^\d+[KMG]?$/

/**
 * Checks the shape of a loaded `pm.config.ts` and returns it typed. Every mistake throws a
 * `WorkspaceError` that names `file`, the worker and the field, and says how to fix it.
 */
export function validateWorkspace(raw: unknown, file: string, pm2?: Pm2Rules): Workspace {
  const fail: Fail = (problem) => {
    throw new WorkspaceError(`${file}: ${problem}`)
  }
  const fix = 'write `export default defineWorkspace({ workers: [...] })`'
  if (!isRecord(raw))
    fail(`the default export is ${describe(raw)}, not a workspace; ${fix}`)
  if (!('workers' in raw || 'defaults' in raw))
    fail(`the default export is not a workspace (an object with neither \`workers\` nor \`defaults\`); ${fix}`)
  const workspace = raw as Record<string, unknown>
  checkKeys(workspace, WORKSPACE_KEYS, 'the workspace', fail)
  if (workspace.name !== undefined)
    checkName(workspace.name, 'the workspace `name`', fail)
  if (workspace.defaults !== undefined)
    checkOptions(workspace.defaults, '`defaults`', fail, pm2)
  if (workspace.workers === undefined)
    fail('`workers` is missing; add `workers: [{ name: \'web\', bun: \'workers/web.ts\' }]`')
  if (!Array.isArray(workspace.workers))
    fail(`\`workers\` must be an array of workers, not ${describe(workspace.workers)}`)

  const seen = new Set<string>()
  ;(workspace.workers as unknown[]).forEach((worker, index) => {
    checkWorker(worker, index, fail, pm2)
    const { name } = worker as Worker
    if (seen.has(name))
      fail(`worker "${name}": the name is used by two workers; rename one of them (names must be unique)`)
    seen.add(name)
  })
  const workers = workspace.workers as Worker[]
  for (const worker of workers) {
    for (const dep of worker.dependsOn ?? []) {
      if (!seen.has(dep))
        fail(`worker "${worker.name}": \`dependsOn\` names "${dep}", which is no worker${didYouMean(dep, seen)}; the workers are ${[...seen].join(', ')}`)
    }
  }
  const commandWorker = workers.find(w => w.cmd !== undefined)
  // The interpreter's own options in `defaults` are for the script workers; `args` would change a command.
  if (commandWorker && isRecord(workspace.defaults) && workspace.defaults.args !== undefined)
    fail(`\`defaults\` sets \`args\`, which would change the command of worker "${commandWorker.name}" (it runs \`cmd\`); set \`args\` in the options of the workers that run scripts instead`)
  const cycle = findCycle(Object.fromEntries(workers.map(w => [w.name, w.dependsOn ?? []])))
  if (cycle)
    fail(`\`dependsOn\` has a cycle: ${cycle.join(' -> ')}; remove one of these dependencies`)
  return workspace as unknown as Workspace
}

function checkWorker(raw: unknown, index: number, fail: Fail, pm2?: Pm2Rules): void {
  if (!isRecord(raw))
    fail(`workers[${index}] is ${describe(raw)}, not a worker; write \`{ name: 'web', bun: 'workers/web.ts' }\``)
  const worker = raw as Record<string, unknown>
  if (worker.name === undefined || worker.name === '')
    fail(`workers[${index}] has no name; add \`name: 'some-name'\` (${NAME_RULE})`)
  checkName(worker.name, `workers[${index}] name`, fail)
  const at = `worker "${worker.name as string}"`
  checkKeys(worker, WORKER_KEYS, at, fail)
  if (worker.group !== undefined)
    checkName(worker.group, `${at}: \`group\``, fail)
  if (worker.activated !== undefined && typeof worker.activated !== 'boolean')
    fail(`${at}: \`activated\` must be true or false, not ${describe(worker.activated)}`)
  if (worker.heartbeat !== undefined) {
    if (typeof worker.heartbeat !== 'string')
      fail(`${at}: \`heartbeat\` must be a string, not ${describe(worker.heartbeat)}; write ${HEARTBEAT_FORMS}`)
    const parsed = parseHeartbeat(worker.heartbeat)
    if ('error' in parsed)
      fail(`${at}: \`heartbeat\` ${describe(worker.heartbeat)} ${parsed.error}; write ${HEARTBEAT_FORMS}`)
  }
  if (worker.dependsOn !== undefined) {
    if (!Array.isArray(worker.dependsOn) || worker.dependsOn.some(dep => typeof dep !== 'string'))
      fail(`${at}: \`dependsOn\` must be an array of worker names, not ${describe(worker.dependsOn)}; write e.g. dependsOn: ['primary-db']`)
    if ((worker.dependsOn as string[]).includes(worker.name as string))
      fail(`\`dependsOn\` has a cycle: ${worker.name as string} -> ${worker.name as string}; a worker cannot depend on itself`)
  }
  // '' is how a config with every script field written out says "none" (the seed's worker shape).
  for (const field of INTERPRETERS) {
    if (worker[field] !== undefined && typeof worker[field] !== 'string')
      fail(`${at}: \`${field}\` must be a script path relative to the workspace root (or '' for none), not ${describe(worker[field])}`)
  }
  if (worker.cmd !== undefined)
    checkCommand(worker, at, fail)
  if (worker.options !== undefined)
    checkOptions(worker.options, `${at}: \`options\``, fail, pm2)
}

const CMD_FORMS = `a command line such as 'redis-server --port 6380', or the program and its arguments such as ['redis-server', '--port', '6380']`

/** A cmd worker: a command of one of the two forms, no script beside it, nothing of an interpreter's. */
function checkCommand(worker: Record<string, unknown>, at: string, fail: Fail): void {
  const { cmd } = worker
  if (typeof cmd === 'string' ? !cmd.trim() : !Array.isArray(cmd) || cmd.length === 0 || cmd.some(word => typeof word !== 'string') || !(cmd[0] as string).trim())
    fail(`${at}: \`cmd\` ${describe(cmd)} is no command${Array.isArray(cmd) ? ' (an array of strings, the program first)' : ''}; write ${CMD_FORMS}`)
  const script = INTERPRETERS.find(field => typeof worker[field] === 'string' && worker[field] !== '')
  if (script)
    fail(`${at} has both \`cmd\` and \`${script}\`; keep one: \`cmd\` runs a program, \`${script}\` a script`)
  const options = isRecord(worker.options) ? worker.options : {}
  const key = NOT_FOR_CMD.find(key => options[key] !== undefined)
  if (key === 'interpreter')
    fail(`${at}: \`options.interpreter\` does not apply to a \`cmd\` worker (the first word of \`cmd\` is its program); remove it`)
  if (key)
    fail(`${at}: \`options.${key}\` does not apply to a \`cmd\` worker; put the arguments in \`cmd\` itself`)
}

/** Options bun-pm adds to PM2's own. */
const BUN_PM_OPTIONS = ['health', 'passEnv', 'dotenv', 'logs', 'publish']

function checkOptions(raw: unknown, at: string, fail: Fail, pm2?: Pm2Rules): void {
  const optionNames = pm2?.names
  if (!isRecord(raw))
    fail(`${at} must be an object of PM2 start options, not ${describe(raw)}`)
  const options = raw as WorkerOptions & Record<string, unknown>
  for (const key of Object.keys(options)) {
    const env = /^env_(\w+)$/.exec(key)
    if (env)
      fail(`${at} sets \`${key}\`, PM2's per-environment env, which bun-pm does not read; write it as \`$${env[1]}: { defaults: { env: { ... } } }\` in the workspace (see the README's per-environment overrides)`)
    if (key === 'namespace')
      fail(`${at} sets \`namespace\`; remove it: bun-pm runs every worker in the workspace's namespace (set the workspace \`name\` to choose it)`)
    if (optionNames && !optionNames.has(key) && !BUN_PM_OPTIONS.includes(key))
      fail(`${at} has an unknown option \`${key}\`${didYouMean(key, [...optionNames, ...BUN_PM_OPTIONS])}; see PM2's options (https://pm2.keymetrics.io/docs/usage/application-declaration/)`)
  }
  if (options.name !== undefined)
    fail(`${at} sets \`name\`; remove it: the worker's own \`name\` names the PM2 process`)
  if (options.script !== undefined)
    fail(`${at} sets \`script\`; remove it and give the script in the worker's \`bun\`, \`node\` or \`tsx\` field (or a program in \`cmd\`)`)
  if (options.interpreter !== undefined && !isInterpreter(options.interpreter))
    fail(`${at}: interpreter ${describe(options.interpreter)} is not supported; use ${INTERPRETERS.map(i => `'${i}'`).join(', ')}`)
  if (options.exec_mode !== undefined && !['fork', 'fork_mode'].includes(options.exec_mode))
    fail(`${at}: exec_mode ${describe(options.exec_mode)} is not supported: PM2 ignores the bun interpreter in cluster mode (pm2 issue 5777); remove it, or add one worker per process`)
  const memory = options.max_memory_restart
  if (memory !== undefined && !(typeof memory === 'number' ? Number.isInteger(memory) && memory > 0 : MEMORY_PATTERN.test(String(memory))))
    fail(`${at}: max_memory_restart ${describe(memory)} is not a size PM2 reads; write a number of bytes or a string such as '100M', '1G' or '512K'`)
  if (options.health !== undefined)
    checkHealth(options.health, at, fail)
  if (options.passEnv !== undefined && (!Array.isArray(options.passEnv) || options.passEnv.some(name => typeof name !== 'string' || !/^[A-Za-z_*][\w*]*$/.test(name))))
    fail(`${at}: \`passEnv\` must be a list of variable names (\`*\` matches any part), such as ['AWS_PROFILE', 'SENTRY_*'], not ${describe(options.passEnv)}`)
  if (options.dotenv !== undefined && typeof options.dotenv !== 'boolean' && (!Array.isArray(options.dotenv) || options.dotenv.some(name => typeof name !== 'string' || !/^[A-Za-z_*][\w*]*$/.test(name))))
    fail(`${at}: \`dotenv\` must be true, false or a list of variable names (\`*\` matches any part), such as ['REDIS_*'], not ${describe(options.dotenv)}`)
  if (options.logs !== undefined)
    checkLogs(options.logs, at, fail)
  const publish = options.publish === undefined ? undefined : parsePublish(options.publish)
  if (publish && 'error' in publish)
    fail(`${at}: \`publish\` ${publish.error}; write e.g. publish: '127.0.0.1:3000' (this host only), '0.0.0.0:8080' (every IPv4 interface), 8080 (every interface) or false`)
  // What PM2 itself would refuse when it starts the worker (types, patterns, a cron pattern).
  const refused = pm2?.errors?.(options)[0]
  if (refused)
    fail(`${at}: ${refused}`)
  if (options.env !== undefined) {
    if (!isRecord(options.env))
      fail(`${at}: \`env\` must be an object of variables, not ${describe(options.env)}`)
    for (const [key, value] of Object.entries(options.env)) {
      if (!['string', 'number', 'boolean', 'undefined'].includes(typeof value))
        fail(`${at}: env.${key} is ${describe(value)}; environment values must be strings (or numbers, booleans)`)
    }
  }
}

/**
 * The `$<env>` and `$env: { <env>: ... }` blocks of a workspace: each an object of what a workspace
 * has (`name`, `defaults`, `workers`, each worker with its `name`). The block that applies is
 * validated again once merged.
 */
export function validateOverrides(raw: unknown, file: string): void {
  if (!isRecord(raw))
    return
  const fail: Fail = (problem) => {
    throw new WorkspaceError(`${file}: ${problem}`)
  }
  const blocks: [string, unknown][] = Object.entries(raw).filter(([key]) => key.startsWith('$') && key !== '$env')
  if (raw.$env !== undefined) {
    if (!isRecord(raw.$env))
      fail(`\`$env\` must be an object of environments, such as { staging: { defaults: { ... } } }, not ${describe(raw.$env)}`)
    blocks.push(...Object.entries(raw.$env as Record<string, unknown>).map(([env, block]) => [`$env.${env}`, block] as [string, unknown]))
  }
  for (const [key, block] of blocks) {
    if (!isRecord(block))
      fail(`\`${key}\` must be an object like the workspace itself ({ defaults, workers }), not ${describe(block)}`)
    checkKeys(block as Record<string, unknown>, WORKSPACE_KEYS, `\`${key}\``, fail)
    const workers = (block as Record<string, unknown>).workers
    if (workers !== undefined && (!Array.isArray(workers) || workers.some(w => !isRecord(w) || typeof w.name !== 'string')))
      fail(`\`${key}\`.workers must be an array of workers, each with the \`name\` of the worker it changes (or adds)`)
  }
}

function checkHealth(raw: unknown, at: string, fail: Fail): void {
  if (!isRecord(raw))
    fail(`${at}: \`health\` must be an object such as { interval: '5s', failures: 3 }, not ${describe(raw)}`)
  const health = raw as Record<string, unknown>
  checkKeys(health, HEALTH_KEYS, `${at}: \`health\``, fail)
  for (const key of ['interval', 'timeout', 'grace', 'readyAfter']) {
    const value = health[key]
    const ms = parseDuration(value)
    if (value !== undefined && (ms === undefined || (key !== 'readyAfter' && key !== 'grace' && ms <= 0)))
      fail(`${at}: health.${key} ${describe(value)} is not a duration; write milliseconds or a string such as '500ms', '5s' or '1m'`)
  }
  if (health.failures !== undefined && !(Number.isInteger(health.failures) && (health.failures as number) >= 1))
    fail(`${at}: health.failures ${describe(health.failures)} must be a whole number of 1 or more`)
}

function checkName(value: unknown, what: string, fail: Fail): void {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value) || /^\d+$/.test(value) || value === 'all')
    fail(`${what} ${describe(value)} is not a name PM2 reads back intact; use ${NAME_RULE}`)
}

function checkKeys(record: Record<string, unknown>, known: string[], at: string, fail: Fail): void {
  for (const key of Object.keys(record)) {
    if (!known.includes(key))
      fail(`${at} has an unknown field \`${key}\`${didYouMean(key, known)}; the fields are ${known.join(', ')}`)
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A value as a user would recognise it in their config. */
export function describe(value: unknown): string {
  if (value === undefined)
    return 'undefined'
  if (Array.isArray(value))
    return 'an array'
  if (typeof value === 'string')
    return JSON.stringify(value)
  if (typeof value === 'object' && value !== null)
    return 'an object'
  if (typeof value === 'function')
    return 'a function'
  return String(value)
}

function checkLogs(raw: unknown, at: string, fail: Fail): void {
  const shape = `such as { maxSize: '10M', keep: 3 } (or false for no bound)`
  if (raw === false)
    return
  if (!isRecord(raw))
    fail(`${at}: \`logs\` must be an object ${shape}, not ${describe(raw)}`)
  const logs = raw as Record<string, unknown>
  checkKeys(logs, ['maxSize', 'keep'], `${at}: \`logs\``, fail)
  if (logs.maxSize !== undefined && parseSize(logs.maxSize) === undefined)
    fail(`${at}: \`logs.maxSize\` ${describe(logs.maxSize)} is not a size; write a number of bytes or a string such as '10M', '512K' or '1G'`)
  if (logs.keep !== undefined && !(Number.isInteger(logs.keep) && (logs.keep as number) >= 0))
    fail(`${at}: \`logs.keep\` must be a whole number of rotated files to keep (0 or more), not ${describe(logs.keep)}`)
}
