// An interpreter's absolute path: the workspace's node_modules/.bin, then bun-pm's own, then PATH;
// a cmd worker's program's: a path as given (relative to the root), or a name looked up the same way.

import { accessSync, constants, realpathSync, statSync } from 'node:fs'
import { basename, delimiter, dirname, join, resolve } from 'node:path'
import { WorkspaceError } from '../errors.ts'
import type { Interpreter } from '../types/config.ts'
import { isProgramPath } from '../model/command.ts'

const INSTALL_HINT: Record<Interpreter, string> = {
  bun: 'install it with `npm install bun` in the workspace, or from https://bun.sh',
  node: 'install Node.js (https://nodejs.org) so that `node` is on PATH',
  tsx: 'install it with `npm install tsx` in the workspace (a dependency, not -D: workers run it in production)',
}

/**
 * The absolute path PM2 should run `name` with: the workspace's own `node_modules/.bin` (walking
 * up from `root`) first, then the launcher's (the bun installed beside it), then PATH.
 *
 * The path is kept as found, links unresolved: PM2 picks its bun wrapper, which makes workers exit
 * when their parent dies, only when the path's last segment is `bun`, and npm's bun link
 * (`node_modules/.bin/bun`) is named so while its target (`bun.exe`) is not.
 */
export function resolveInterpreter(name: Interpreter, root: string): string | undefined {
  const dirs = [...binDirs(root), ...binDirs(import.meta.dirname), ...(process.env.PATH ?? '').split(delimiter)]
  for (const dir of new Set(dirs)) {
    if (!dir)
      continue
    const candidate = join(dir, name)
    if (isExecutable(candidate) && !(name === 'node' && isBunShim(candidate)))
      return candidate
  }
  return undefined
}

/** Like `resolveInterpreter`, but a missing interpreter is an error that says how to install it. */
export function requireInterpreter(name: Interpreter, root: string, where: string): string {
  const path = resolveInterpreter(name, root)
  if (!path)
    throw new WorkspaceError(`${where}: interpreter \`${name}\` was not found in ${join(root, 'node_modules/.bin')} or on PATH; ${INSTALL_HINT[name]}`)
  return path
}

/**
 * The absolute path of a cmd worker's program: a path (holding a `/`) relative to the workspace
 * root; a name from the workspace's `node_modules/.bin` (walking up from `root`), then PATH.
 */
export function resolveProgram(program: string, root: string): string | undefined {
  if (isProgramPath(program)) {
    const path = resolve(root, program)
    return isExecutable(path) ? path : undefined
  }
  for (const dir of new Set([...binDirs(root), ...(process.env.PATH ?? '').split(delimiter)])) {
    if (dir && isExecutable(join(dir, program)))
      return join(dir, program)
  }
  return undefined
}

/** Like `resolveProgram`, but a program that is not found is an error that says where it was looked for. */
export function requireProgram(program: string, root: string, where: string): string {
  const path = resolveProgram(program, root)
  if (path)
    return path
  if (isProgramPath(program))
    throw new WorkspaceError(`${where}: the program of \`cmd\`, "${program}", is no executable file (${resolve(root, program)}); fix the path (it is relative to the workspace root) or make it executable (chmod +x)`)
  throw new WorkspaceError(`${where}: the program of \`cmd\`, "${program}", was not found in ${join(root, 'node_modules/.bin')} or on PATH; install it, or give its path`)
}

function binDirs(root: string): string[] {
  const dirs: string[] = []
  for (let dir = root; ; dir = dirname(dir)) {
    dirs.push(join(dir, 'node_modules', '.bin'))
    if (dirname(dir) === dir)
      return dirs
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  }
  catch {
    return false
  }
}

/** `bun run --bun` and friends put a `node` on PATH that is really bun: not what the worker asked for. */
function isBunShim(path: string): boolean {
  try {
    return /^bun(\.exe)?$/.test(basename(realpathSync(path)))
  }
  catch {
    return false
  }
}
