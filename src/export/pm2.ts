// `export --to=pm2`: an ecosystem file that plain PM2 runs as `start` would. Pure.

import { relative } from 'node:path'
import { SCRIPT_KEY } from '../plan/mode-options.ts'
import type { ExportModel } from './model.ts'
import { type ExportResult, header } from './shared.ts'
import type { Pm2StartOptions } from '../types/config.ts'

export interface Pm2ExportOptions {
  /** What `bun start` hands PM2 for each worker (interpreters resolved, defaults merged), by name. */
  startOptions: Map<string, Pm2StartOptions>
  /** The variables of the `.env` files: the ecosystem file reads them from there when PM2 loads it. */
  fileEnv: Record<string, string>
  /** Absolute path of the folder the file is written to (paths in it are relative to that). */
  outDir: string
}

/**
 * An `ecosystem.config.cjs` that plain PM2 runs with the result of `bun start`: the same start
 * options (bun workers through bun-pm's entry, which serves a default-exported server), the same
 * layered environment, and bun-pm's crash-loop `min_uptime`. Values from `.env` files are read from
 * those files when PM2 loads it, never written into it. Paths are relative to the file's folder,
 * so the project can move. Pure.
 */
export function renderPm2(model: ExportModel, { startOptions, fileEnv, outDir }: Pm2ExportOptions): ExportResult {
  const rootFromOut = relative(outDir, model.root) || '.'
  const apps = model.workers.map((w) => {
    const { env: _env, ...options } = startOptions.get(w.name)!
    const secrets = Object.entries(w.secrets).map(([key, value]) => {
      // By the file's own key where the value is that key's; else the key whose value it copies.
      const source = fileEnv[key] === value || !Object.values(fileEnv).includes(value) ? key : Object.keys(fileEnv).find(k => fileEnv[k] === value)!
      return [key, new Code(`fromEnvFiles[${jsString(source)}]`)] as const
    })
    const scriptKey = startOptions.get(w.name)!.env[SCRIPT_KEY]
    return {
      ...options,
      // bun-pm's crash-loop rule, which PM2 applies itself: a run shorter than this that crashes counts.
      min_uptime: options.min_uptime ?? w.health.minUptimeMs,
      env: { ...Object.fromEntries(secrets), ...w.env, ...(scriptKey ? { [SCRIPT_KEY]: scriptKey } : {}) },
    }
  })
  const content = [
    header(model, 'pm2', '//'),
    '// `pm2 start ecosystem.config.cjs` runs what `bun-pm start` runs. Values of the .env files are read',
    '// from them when PM2 loads this file (Node 20.12+ for util.parseEnv), never copied here.',
    `'use strict'`,
    `const { existsSync, readFileSync } = require('node:fs')`,
    `const { join } = require('node:path')`,
    `const { parseEnv } = require('node:util')`,
    '',
    `const root = join(__dirname, ${jsString(rootFromOut)})`,
    `const fromEnvFiles = Object.assign({}, ...['.env', '.env.local'].map(file => existsSync(join(root, file)) ? parseEnv(readFileSync(join(root, file), 'utf8')) : {}))`,
    '',
    `module.exports = ${toJs({ apps }, model.root, '')}`,
    '',
  ].join('\n')
  const notes = model.workers.filter(w => w.heartbeat.kind !== 'none').map(w =>
    `${w.name}: plain PM2 has no health checks, so its heartbeat is not checked (bun-pm's health agent runs under \`bun start\`); PM2 still restarts it when it crashes`)
  return { files: [{ path: 'ecosystem.config.cjs', content }], notes }
}

/** A string literal in single quotes. */
function jsString(value: string): string {
  return `'${JSON.stringify(value).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, '\\\'')}'`
}

/** Source code to put as it is into the generated file. */
class Code {
  constructor(readonly source: string) {}
}

/** A value as JavaScript source; strings under `root` become `join(root, '…')`. */
function toJs(value: unknown, root: string, indent: string): string {
  const inner = `${indent}  `
  if (value instanceof Code)
    return value.source
  if (typeof value === 'string') {
    if (value === root)
      return 'root'
    if (value.startsWith(`${root}/`))
      return `join(root, ${jsString(value.slice(root.length + 1))})`
    return jsString(value)
  }
  if (Array.isArray(value))
    return value.length === 0 ? '[]' : `[\n${value.map(item => `${inner}${toJs(item, root, inner)},`).join('\n')}\n${indent}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    if (entries.length === 0)
      return '{}'
    return `{\n${entries.map(([key, v]) => `${inner}${/^[A-Z_a-z$][\w$]*$/.test(key) ? key : JSON.stringify(key)}: ${toJs(v, root, inner)},`).join('\n')}\n${indent}}`
  }
  return JSON.stringify(value)
}
