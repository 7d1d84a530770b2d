// `init --from`: what an ecosystem file or a Procfile becomes (src/init/ecosystem.ts,
// src/init/procfile.ts), and the pm.config.ts that says it, with what was left out or changed. Pure.

import type { Interpreter } from '../types/config.ts'

/** A workspace converted from another tool's file, and what could not be carried over as it was. */
export interface Conversion {
  /** The object for `defineWorkspace`, as plain data. */
  workspace: { workers: Record<string, unknown>[], [override: `$${string}`]: unknown }
  /** One line per thing left out, saying why and what to do instead. */
  dropped: string[]
  /** One line per thing that runs differently than it did, saying how. */
  changed: string[]
  /** Lines on how the file was read, for the config's header. */
  notes?: string[]
}

export const INTERPRETER_BY_COMMAND: Record<string, Interpreter> = { bun: 'bun', node: 'node', tsx: 'tsx' }

/** A script bun-pm runs under an interpreter: JavaScript or TypeScript. */
export const SCRIPT_FILE = /\.[cm]?[jt]sx?$/

/** A name bun-pm accepts, from any process name. */
export function workerName(name: string, index: number): string {
  const cleaned = name.replace(/[^\w.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '')
  return cleaned && !/^\d+$/.test(cleaned) && cleaned !== 'all' ? cleaned : `worker-${index + 1}`
}

/** What applies where the converted file set nothing, said in the config it writes. */
export const BUILTIN_NOTE = 'bun-pm\'s built-in defaults apply where nothing is set: max_memory_restart \'100M\' (a worker over it is restarted; Compose and Kubernetes exports make it the container\'s limit), max_restarts 5, autorestart; set them in `defaults` for every worker.'

/** The `pm.config.ts` text for a converted workspace. */
export function configSource(conversion: Conversion, from: string): string {
  const body = literal(conversion.workspace, '')
  const list = (title: string, lines: string[]) => lines.length > 0 ? `// ${title}:\n${lines.map(line => `// - ${line}`).join('\n')}\n` : ''
  const notes = [...conversion.notes ?? [], BUILTIN_NOTE].map(line => `// ${line}\n`).join('')
  return `import { defineWorkspace } from 'bun-pm'\n\n// Converted from ${from} by \`bun-pm init --from\`; hover a field for its documentation.\n${notes}${list(`Not carried over from ${from}`, conversion.dropped)}${list('Changed', conversion.changed)}export default defineWorkspace(${body})\n`
}

/** `value` as TypeScript source in the project's style: single quotes, bare keys, trailing commas, a short list of plain values on one line. */
function literal(value: unknown, indent: string): string {
  const inner = `${indent}  `
  if (Array.isArray(value)) {
    const items = value.map(item => literal(item, inner))
    const line = `[${items.join(', ')}]`
    return value.every(item => typeof item !== 'object' || item === null) && line.length <= 80
      ? line
      : `[\n${items.map(item => `${inner}${item},`).join('\n')}\n${indent}]`
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined)
    if (entries.length === 0)
      return '{}'
    return `{\n${entries.map(([key, item]) => `${inner}${/^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key)}: ${literal(item, inner)},`).join('\n')}\n${indent}}`
  }
  return typeof value === 'string' ? quote(value) : String(JSON.stringify(value))
}

/** A single-quoted TypeScript string. */
function quote(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, '\\\'')}'`
}
