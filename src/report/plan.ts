// `explain`: a plan for people and as JSON, values masked but bun-pm's own and NODE_ENV.

import { formatCommand } from '../model/command.ts'
import { formatMs } from '../model/heartbeat.ts'
import { checkOf } from '../model/lifecycle.ts'
import type { EnvSource } from '../types/config.ts'
import { displayPath } from '../config/import-config.ts'
import { leftOutOfShell } from '../config/env.ts'
import type { ExplainJson } from '../types/json.ts'
import type { Plan } from '../plan/resolve-plan.ts'
import type { HealthPolicy } from '../types/health.ts'

/** Values of these keys are shown; every other value is masked, since any of them may be a secret. */
const SHOWN_KEYS = new Set(['NODE_ENV', 'BUN_PM_SCRIPT', 'BUN_PM_PLAN_HASH', 'BUN_PM_PLAN'])
const MASK = '***'

export function maskValue(key: string, value: string): string {
  return SHOWN_KEYS.has(key) || value === '' ? value : MASK
}

/** The plan as data for `explain --json`: everything PM2 gets, with environment values masked. */
export function planToJson(plan: Plan): ExplainJson {
  const { workspace, workers } = plan
  const selected = new Set(workers.map(w => w.name))
  return {
    root: workspace.root,
    configFile: workspace.configFile,
    namespace: workspace.namespace,
    mode: workspace.mode,
    /** The environment whose `$<env>` overrides applied. */
    env: workspace.envName,
    added: plan.added,
    workers: workers.map(({ name, group, heartbeat, health, dependsOn, interpreter, interpreterPath, script, command, startOptions, env: sources }) => {
      const { env, ...options } = startOptions
      return {
        name,
        group,
        heartbeat,
        dependsOn,
        health: { check: checkOf(health), ...health },
        interpreter,
        interpreterPath,
        script,
        ...(command && { command }),
        options,
        env: Object.fromEntries(Object.entries(env).map(([key, value]) =>
          [key, { value: maskValue(key, value), source: sources[key]?.source ?? 'bun-pm' }])),
        shellLeftOut: leftOutOfShell(sources),
      }
    }),
    notSelected: workspace.workers.filter(w => !selected.has(w.name)).map(w => ({
      name: w.name,
      group: w.group,
      reason: w.activated ? 'not selected' : 'deactivated',
    })),
  }
}

/** The plan for people: one block per worker, shell variables summarised rather than listed. */
export function formatPlan(plan: Plan): string {
  const data = planToJson(plan)
  const lines = [
    `workspace ${data.namespace} (${displayPath(data.configFile)}), ${data.mode} rules, $${data.env} overrides`,
    '',
  ]
  for (const worker of data.workers) {
    lines.push(`${worker.name}  group ${worker.group}${worker.dependsOn.length ? `  after ${worker.dependsOn.join(', ')}` : ''}`)
    lines.push(`  health       ${describeHealth(worker.health)}`)
    if (worker.command) {
      lines.push(`  interpreter  cmd (PM2 runs the program itself)`)
      lines.push(`  command      ${formatCommand([displayPath(worker.command[0]!), ...worker.command.slice(1)])}`)
    }
    else {
      lines.push(`  interpreter  ${worker.interpreter} (${worker.interpreterPath})`)
      lines.push(`  script       ${displayPath(worker.script)}`)
    }
    lines.push('  options')
    for (const [key, value] of Object.entries(worker.options)) {
      if (key !== 'name' && key !== 'script')
        lines.push(`    ${key}: ${JSON.stringify(value)}`)
    }
    const env = Object.entries(worker.env)
    const runtime = env.filter(([, { source }]) => source === 'runtime').map(([key]) => key)
    lines.push(`  env (values masked; ${runtime.length} runtime variables from the shell, never a reason to restart: ${runtime.join(', ') || 'none'})`)
    for (const [key, { value, source }] of env) {
      if (source !== 'runtime')
        lines.push(`    ${key}=${value}  (${describeSource(source)})`)
    }
    if (worker.shellLeftOut.length > 0)
      lines.push(`  ${worker.shellLeftOut.length} more variables of this shell do not reach it (options.passEnv lets one through; see --json)`)
    lines.push(`  deploys     ${describeDeploy(worker.health)}`)
    lines.push('')
  }
  lines.push(...describeAdded(plan.added))
  if (data.notSelected.length > 0)
    lines.push(`not selected: ${data.notSelected.map(w => `${w.name} (${w.reason})`).join(', ')}`)
  return lines.join('\n').trimEnd()
}

/** `added b, a (c depends on them)`: the workers a selection brought in through dependsOn, one line per who needed them. */
export function describeAdded(added: Plan['added']): string[] {
  const byNeed = new Map<string, string[]>()
  for (const { name, neededBy } of added)
    byNeed.set(neededBy.join(', '), [...byNeed.get(neededBy.join(', ')) ?? [], name])
  return [...byNeed].map(([by, names]) => `added ${names.join(', ')} (${by} depend${by.includes(',') ? '' : 's'} on ${names.length === 1 ? 'it' : 'them'}; --no-deps leaves ${names.length === 1 ? 'it' : 'them'} out)`)
}

function describeHealth(health: HealthPolicy & { check: string }): string {
  const ready = health.heartbeat.kind === 'none'
    ? health.autorestart ? `ready after ${formatMs(health.readyAfterMs)} up` : 'a one-shot job: done when it exits 0'
    : `${health.check}${health.heartbeat.kind === 'push' ? '' : ` every ${formatMs(health.intervalMs)}, timeout ${formatMs(health.timeoutMs)}`}; restart after ${health.failures} failures, ${formatMs(health.graceMs)} grace`
  return `${ready}; errored after ${health.maxRestarts} crashes each within ${formatMs(health.minUptimeMs)}`
}

/** How `start` and `restart` replace the worker when it runs another version (supervise/rollout.ts decides, with the ports it finds). */
function describeDeploy(health: HealthPolicy): string {
  if (!health.autorestart)
    return 'a one-shot job: run again when its version changes'
  if (health.heartbeat.kind === 'none')
    return 'stopped, then started (no heartbeat to judge a new process ready)'
  return 'rolling, unit by unit: a new process beside the old one when the ports it holds take a second listener (reusePort), checked at each deploy; else stopped, then started'
}

function describeSource(source: EnvSource): string {
  if (source === 'runtime')
    return 'from the shell: runtime, never a reason to restart'
  if (source === 'shell')
    return 'from the shell'
  return source === 'mode' ? 'set by the mode' : source === 'bun-pm' ? 'set by bun-pm' : `from ${source}`
}
