// `export --to=compose`: the workspace as a Docker Compose file. Pure.

import { stringify } from 'yaml'
import type { ExportModel, ExportWorker } from './model.ts'
import { composePorts, loopbackNotes } from './networks.ts'
import { checkProgram, commonNotes, containerCommand, duration, type ExportFile, type ExportResult, header, inImage, isProbe, quoted, splitSecrets } from './shared.ts'

export interface ComposeOptions {
  /** The image every service runs. */
  image: string
  /** How it is built, when it is built from the generated Dockerfile: the workspace root as seen from the output folder, the Dockerfile as seen from there. */
  build?: { context: string, dockerfile: string }
}

/**
 * A `compose.yaml` with one service per worker, and `secrets.env` (0600) with the values that came
 * from `.env` files, which the services read through `env_file`. Pure.
 */
export function renderCompose(model: ExportModel, options: ComposeOptions): ExportResult {
  const byName = new Map(model.workers.map(w => [w.name, w]))
  const withSecrets = model.workers.filter(w => Object.keys(w.secrets).length > 0)
  const { shared, own } = splitSecrets(model.workers)
  const envFiles = (w: ExportWorker) => [
    ...(Object.keys(w.secrets).length > 0 && Object.keys(shared).length > 0 ? ['secrets.env'] : []),
    ...(Object.keys(own(w)).length > 0 ? [`secrets-${w.service}.env`] : []),
  ]
  const services = Object.fromEntries(model.workers.map(w => [w.service, service(w, byName, options, envFiles(w))]))
  const files: ExportFile[] = [{ path: 'compose.yaml', content: `${header(model, 'compose')}\n${stringify({ name: model.name, services }, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false })}` }]
  if (Object.keys(shared).length > 0)
    files.push({ path: 'secrets.env', content: `${header(model, 'compose')}\n${envFile(shared)}`, secret: true })
  for (const w of withSecrets.filter(w => Object.keys(own(w)).length > 0))
    files.push({ path: `secrets-${w.service}.env`, content: `${header(model, 'compose')}\n${envFile(own(w))}`, secret: true })
  const notes = commonNotes(model, 'Compose')
  for (const w of model.workers) {
    const { note } = composePorts(w)
    if (note)
      notes.push(note)
    if (w.replicas > 1)
      notes.push(`${w.name}: its ${w.replicas} replicas each get their own container and network, so they all use the base ${w.incrementVar ?? 'port'}; Compose gives no replica index (${w.instanceVar})`)
  }
  return { files, notes: [...notes, ...loopbackNotes(model, 'Compose')] }
}

function envFile(vars: Record<string, string>): string {
  return `${Object.entries(vars).map(([key, value]) => `${key}=${quoteEnvValue(value)}`).join('\n')}\n`
}

/** A value for a Compose env file: single quotes keep it literal ($ and all); a value with ', \ or a newline is double-quoted. */
export function quoteEnvValue(value: string): string {
  if (!/['\\\n\r]/.test(value))
    return `'${value}'`
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\$/g, '$$$$')}"`
}

function service(w: ExportWorker, byName: Map<string, ExportWorker>, options: ComposeOptions, envFiles: string[]): Record<string, unknown> {
  const { health } = w
  const { ports, expose } = composePorts(w)
  const dependsOn = Object.fromEntries(w.dependsOn.flatMap((name) => {
    const dep = byName.get(name)
    if (!dep)
      return []
    // bun-pm starts a worker once what it depends on is ready (or, for a one-shot job, done).
    const condition = isProbe(dep.heartbeat) ? 'service_healthy' : dep.autorestart ? 'service_started' : 'service_completed_successfully'
    return [[dep.service, { condition }]]
  }))
  return {
    image: options.image,
    ...(options.build ? { build: options.build } : {}),
    command: containerCommand(w).map(literal),
    working_dir: inImage(w.cwd),
    ...(w.user ? { user: w.group ? `${w.user}:${w.group}` : w.user } : {}),
    ...(Object.keys(w.env).length > 0 ? { environment: Object.fromEntries(Object.entries(w.env).map(([key, value]) => [key, quoted(literal(value))])) } : {}),
    ...(envFiles.length > 0 ? { env_file: envFiles } : {}),
    ...(ports ? { ports } : {}),
    ...(expose ? { expose } : {}),
    ...(isProbe(w.heartbeat)
      ? {
          healthcheck: {
            test: ['CMD', 'bun', '-e', checkProgram(w.heartbeat, health.timeoutMs)],
            interval: duration(health.intervalMs),
            timeout: duration(health.timeoutMs + 1000),
            retries: health.failures,
            start_period: duration(health.graceMs),
            start_interval: '1s',
          },
        }
      : {}),
    ...(Object.keys(dependsOn).length > 0 ? { depends_on: dependsOn } : {}),
    restart: w.autorestart ? 'unless-stopped' : 'no',
    stop_grace_period: duration(w.killTimeoutMs),
    ...(w.replicas > 1 || w.memoryBytes !== undefined
      ? {
          deploy: {
            ...(w.replicas > 1 ? { replicas: w.replicas } : {}),
            ...(w.memoryBytes !== undefined ? { resources: { limits: { memory: `${w.memoryBytes}b` } } } : {}),
          },
        }
      : {}),
  }
}

/** Compose replaces `$VAR` and `${VAR}` anywhere in the file with the host's values: `$$` is a `$`. */
function literal(value: string): string {
  return value.replace(/\$/g, '$$$$')
}
