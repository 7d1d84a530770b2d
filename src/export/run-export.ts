// `export`: loads the workspace, renders the target, writes its files.

import { spawnSync } from 'node:child_process'
import { closeSync, constants, existsSync, fchmodSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { WorkspaceError } from '../errors.ts'
import type { Interpreter, Selection } from '../types/config.ts'
import type { ExportJson } from '../types/json.ts'
import { readEnvFiles } from '../config/env.ts'
import { requireInterpreter, requireProgram, resolveInterpreter, resolveProgram } from '../plan/interpreter.ts'
import { loadWorkspace } from '../config/load.ts'
import { planWorkers } from '../plan/plan-workers.ts'
import { selectWorkers } from '../plan/select.ts'
import { renderCompose } from './compose.ts'
import { type PackageManager, renderDockerfile } from './dockerfile.ts'
import { renderKubernetes } from './kubernetes.ts'
import { type ExportModel, toExportModel } from './model.ts'
import { renderPm2 } from './pm2.ts'
import { type ExportFile, type ExportResult, isProbe } from './shared.ts'
import { renderSystemd } from './systemd.ts'
import { pm2Rules } from '../pm2/schema.ts'

export const TARGETS = ['compose', 'kubernetes', 'systemd', 'pm2'] as const
export type Target = typeof TARGETS[number]

export interface ExportOptions {
  cwd?: string
  to: Target
  selection: Selection
  /** Whose `$<env>` overrides apply (default: production, as for `start`). */
  env?: string
  /** Where to write the files; without it, the one file goes to stdout. */
  out?: string
  /** The image the containers run, instead of one built from a generated Dockerfile. */
  image?: string
  /** Print what was written (or, without `out`, would be) as one JSON object (`ExportJson`). */
  json?: boolean
}

/**
 * `export`: the selected workers (default: every activated one, with what they depend on) as
 * files for another engine. Writes nothing until every file is rendered.
 */
export async function runExport({ cwd, to, selection, env, out, image, json = false }: ExportOptions): Promise<number> {
  const workspace = await loadWorkspace({ cwd, mode: 'start', env, rules: pm2Rules() })
  const { workers } = selectWorkers(workspace, selection, 'dev')
  const fileEnv = readEnvFiles(workspace.root)
  const model = toExportModel(workspace, workers, { bunVersion: Bun.version, nodeMajor: nodeMajor(workspace.root), fileEnv, findProgram: program => resolveProgram(program, workspace.root) })
  const outDir = resolve(workspace.root, out ?? '.')
  const result = render(model, to, { outDir, image, fileEnv, workspace, workers })

  if (json) {
    if (out !== undefined)
      writeAll(outDir, result.files)
    console.log(JSON.stringify(exportJson(to, out === undefined ? null : outDir, result), null, 2))
    return 0
  }
  if (out === undefined) {
    if (result.files.length !== 1)
      throw new WorkspaceError(`export --to=${to} writes ${result.files.length} files (${result.files.map(f => f.path).join(', ')}); pass --out=<folder> to write them`)
    process.stdout.write(result.files[0]!.content)
  }
  else {
    writeAll(outDir, result.files)
    console.log(`wrote ${result.files.map(f => relative(process.cwd(), join(outDir, f.path)) || f.path).join(', ')}`)
  }
  for (const note of result.notes)
    console.error(`note: ${note}`)
  return 0
}

function render(model: ExportModel, to: Target, { outDir, image, fileEnv, workspace, workers }: { outDir: string, image?: string, fileEnv: Record<string, string>, workspace: Awaited<ReturnType<typeof loadWorkspace>>, workers: ReturnType<typeof selectWorkers>['workers'] }): ExportResult {
  const built = image === undefined
  const imageRef = image ?? `${model.name}:latest`
  const checks = model.workers.some(w => isProbe(w.heartbeat) || (to === 'kubernetes' && w.dependsOn.length > 0))
  const imageNote = !built && checks && (to === 'compose' || to === 'kubernetes') ? [`the checks and waits run \`bun -e\` in the containers: image ${imageRef} needs bun on its PATH`] : []
  const dockerfile = (): ExportFile[] => built ? renderDockerfile(model, to, packageManager(model.root), relative(model.root, outDir), projectIgnore(model.root)) : []
  switch (to) {
    case 'compose': {
      const context = relative(outDir, model.root) || '.'
      const result = renderCompose(model, { image: imageRef, build: built ? { context, dockerfile: relative(model.root, join(outDir, 'Dockerfile')) } : undefined })
      return { files: [...result.files, ...dockerfile()], notes: [...imageNote, ...result.notes] }
    }
    case 'kubernetes': {
      const result = renderKubernetes(model, { image: imageRef })
      const notes = !built ? [...imageNote, ...result.notes] : [`the manifests run image ${imageRef}: build it with \`docker build -f ${relative(process.cwd(), join(outDir, 'Dockerfile')) || 'Dockerfile'} -t ${imageRef} ${relative(process.cwd(), model.root) || '.'}\` and push it where your cluster pulls from (or pass --image)`, ...result.notes]
      return { files: [...result.files, ...dockerfile()], notes }
    }
    case 'systemd': {
      // ExecStart= names a cmd worker's program by its path on this host: one that is not here is `start`'s error too.
      for (const w of model.workers.filter(w => w.interpreter === 'cmd' && !w.programPath))
        requireProgram(w.command?.[0] ?? '', model.root, `${model.configLabel}: worker "${w.name}"`)
      const used = new Set<Interpreter>([...model.workers.flatMap(w => w.interpreter === 'cmd' ? [] : [w.interpreter]), 'bun'])
      const interpreters = Object.fromEntries([...used].map(name => [name, requireInterpreter(name, model.root, `${model.configLabel}: export --to=systemd`)]))
      return renderSystemd(model, { interpreters, outDir })
    }
    case 'pm2': {
      const planned = planWorkers(workspace, workers)
      return renderPm2(model, { startOptions: new Map(planned.map(w => [w.name, w.startOptions])), fileEnv, outDir })
    }
  }
}

/** `--json`: the files (their text only when nothing was written, and never a secret one's) and the notes. */
export function exportJson(to: Target, out: string | null, { files, notes }: ExportResult): ExportJson {
  return {
    target: to,
    out,
    files: files.map(file => ({ path: file.path, secret: file.secret === true, ...(out === null && !file.secret ? { content: file.content } : {}) })),
    notes,
  }
}

function writeAll(outDir: string, files: ExportFile[]): void {
  mkdirSync(outDir, { recursive: true })
  for (const file of files)
    writeExportFile(join(outDir, file.path), file)
}

/** The project's own .dockerignore lines, if it has one. */
function projectIgnore(root: string): string[] {
  const path = join(root, '.dockerignore')
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').map(line => line.trimEnd()).filter(line => line && !line.startsWith('#')) : []
}

/** The lockfile the project installs from, for the image. */
function packageManager(root: string): PackageManager {
  if (existsSync(join(root, 'bun.lock')) || existsSync(join(root, 'bun.lockb')))
    return 'bun'
  return existsSync(join(root, 'package-lock.json')) ? 'npm-ci' : 'npm'
}

/** The major version of the node the workspace would run node workers with (22 when there is none). */
function nodeMajor(root: string): number {
  const node = resolveInterpreter('node', root)
  const version = node ? spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout : ''
  return Number(/^v(\d+)/.exec(version ?? '')?.[1]) || 22
}

/** Writes a file; one that holds secrets is 0600 from its first byte, and never through a link. */
function writeExportFile(path: string, file: ExportFile): void {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | (file.secret ? constants.O_NOFOLLOW : 0)
  let fd: number
  try {
    fd = openSync(path, flags, file.secret ? 0o600 : 0o644)
  }
  catch (error) {
    throw new WorkspaceError(`${path}: cannot be written (${(error as NodeJS.ErrnoException).code === 'ELOOP' ? 'it is a link, and it would receive secrets' : (error as Error).message}); remove it or choose another --out`)
  }
  try {
    if (file.secret)
      fchmodSync(fd, 0o600)
    writeSync(fd, file.content)
  }
  finally {
    closeSync(fd)
  }
}
