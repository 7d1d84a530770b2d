// `init --from`: an ecosystem file or a Procfile turned into a workspace, with what it could not
// carry said. Pure.

import type { Interpreter } from '../types/config.ts'

/** A workspace converted from another tool's file, and what could not be carried over. */
export interface Conversion {
  /** The object for `defineWorkspace`, as plain data. */
  workspace: { workers: Record<string, unknown>[], [override: `$${string}`]: unknown }
  /** One line per thing left out, saying why. */
  dropped: string[]
}

const INTERPRETER_BY_COMMAND: Record<string, Interpreter> = { bun: 'bun', node: 'node', tsx: 'tsx' }

/** The interpreter a script name suggests: TypeScript runs under bun, JavaScript under node. */
function interpreterFor(script: string): Interpreter {
  return /\.[cm]?ts$/.test(script) ? 'bun' : 'node'
}

/** A name bun-pm accepts, from any process name. */
function workerName(name: string, index: number): string {
  const cleaned = name.replace(/[^\w.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '')
  return cleaned && !/^\d+$/.test(cleaned) && cleaned !== 'all' ? cleaned : `worker-${index + 1}`
}

/**
 * A Procfile (`name: command` per line) as workers: `bun [run] file`, `node file` and `tsx file`
 * carry over; other commands cannot (bun-pm runs scripts under bun, node or tsx). Pure.
 */
export function fromProcfile(text: string): Conversion {
  const workers: Record<string, unknown>[] = []
  const dropped: string[] = []
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim()
    if (!line || line.startsWith('#'))
      continue
    const match = /^([\w.-]+)\s*:\s*(.+)$/.exec(line)
    if (!match) {
      dropped.push(`Procfile line ${index + 1} ("${line}"): not \`name: command\``)
      continue
    }
    const [, name, command] = match as unknown as [string, string, string]
    const words = command.split(/\s+/)
    const interpreter = INTERPRETER_BY_COMMAND[words[0]!]
    const rest = words[0] === 'bun' && words[1] === 'run' ? words.slice(2) : words.slice(1)
    const script = rest[0]
    if (!interpreter || !script || script.startsWith('-') || !/\.[cm]?[jt]sx?$/.test(script)) {
      dropped.push(`${name}: "${command}" is not a bun, node or tsx script; bun-pm runs scripts only (for a package script, point the worker at the file it runs)`)
      continue
    }
    const worker: Record<string, unknown> = { name: workerName(name, index), [interpreter]: script }
    const options: Record<string, unknown> = {}
    if (interpreter !== 'bun')
      options.interpreter = interpreter
    if (rest.length > 1)
      options.args = rest.slice(1)
    if (Object.keys(options).length > 0)
      worker.options = options
    workers.push(worker)
  }
  return { workspace: { workers }, dropped }
}

/** PM2 app keys bun-pm sets itself, or reads from elsewhere in a worker. */
const APP_KEYS_TAKEN = new Set(['name', 'script', 'interpreter', 'exec_interpreter', 'env', 'namespace', 'exec_mode', 'cwd'])

/**
 * A PM2 ecosystem file's `apps` as workers: name, script and interpreter become the worker's
 * fields; `env` its `options.env`; `env_<name>` a `$<name>` override; the other options whose names
 * PM2 knows (`optionNames`) carry over as they are. Cluster mode, unknown keys and non-script
 * interpreters cannot, and are said. Pure.
 */
export function fromEcosystem(apps: unknown, optionNames: ReadonlySet<string>): Conversion {
  const workers: Record<string, unknown>[] = []
  const overrides: Record<string, { workers: Record<string, unknown>[] }> = {}
  const dropped: string[] = []
  const list = Array.isArray(apps) ? apps : []
  if (!Array.isArray(apps))
    dropped.push('the file has no `apps` array')
  for (const [index, value] of list.entries()) {
    const app = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
    const name = workerName(String(app.name ?? ''), index)
    if (typeof app.script !== 'string') {
      dropped.push(`${name}: no \`script\``)
      continue
    }
    const interpreterValue = String(app.interpreter ?? app.exec_interpreter ?? '').split('/').at(-1)!
    const interpreter = interpreterValue === '' || interpreterValue === 'none' ? interpreterFor(app.script) : INTERPRETER_BY_COMMAND[interpreterValue.replace(/\.exe$/, '')]
    if (!interpreter) {
      dropped.push(`${name}: interpreter "${interpreterValue}" is not bun, node or tsx`)
      continue
    }
    const options: Record<string, unknown> = {}
    if (interpreter !== 'bun')
      options.interpreter = interpreter
    if (typeof app.cwd === 'string')
      options.cwd = app.cwd
    if (app.env && typeof app.env === 'object')
      options.env = app.env
    if (app.exec_mode !== undefined && !['fork', 'fork_mode'].includes(String(app.exec_mode)))
      dropped.push(`${name}: exec_mode "${String(app.exec_mode)}" (bun-pm runs fork mode only: PM2 ignores the bun interpreter in cluster mode)`)
    for (const [key, option] of Object.entries(app)) {
      const env = /^env_(\w+)$/.exec(key)
      if (env) {
        (overrides[`$${env[1]}`] ??= { workers: [] }).workers.push({ name, options: { env: option } })
        continue
      }
      if (APP_KEYS_TAKEN.has(key))
        continue
      if (optionNames.has(key))
        options[key] = option
      else
        dropped.push(`${name}: \`${key}\` is not a PM2 option`)
    }
    workers.push({ name, [interpreter]: app.script, ...(Object.keys(options).length > 0 && { options }) })
  }
  return { workspace: { workers, ...overrides }, dropped }
}

/** The `pm.config.ts` text for a converted workspace. */
export function configSource(conversion: Conversion, from: string): string {
  const body = JSON.stringify(conversion.workspace, null, 2).replace(/"([A-Za-z_$][\w$]*)":/g, '$1:')
  const notes = conversion.dropped.length > 0
    ? `// Not carried over from ${from}:\n${conversion.dropped.map(line => `// - ${line}`).join('\n')}\n`
    : ''
  return `import { defineWorkspace } from 'bun-pm'\n\n// Converted from ${from} by \`bun-pm init --from\`; hover a field for its documentation.\n${notes}export default defineWorkspace(${body})\n`
}
