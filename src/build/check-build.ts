// `prestart`: `bun start` runs the build in dist/, so refuse a missing or stale one with a one-line
// hint rather than run old code. (Building by itself here would hide a failing build behind start.)
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { scriptLine, scriptRunner } from '../invocation.ts'

const root = resolve(import.meta.dirname, '../..')
const built = join(root, 'dist/commands/exec-process.js')
// This repository's own scripts, named as the user ran `start`: `bun start` or `npm start`.
const runner = scriptRunner() ?? 'bun'
const build = `run \`${scriptLine(runner, 'build', '')}\` first, then \`${scriptLine(runner, 'start', '')}\``

function newestSource(dir: string): { path: string, mtimeMs: number } | undefined {
  let newest: { path: string, mtimeMs: number } | undefined
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.[cm]?ts$/.test(entry.name))
      continue
    const path = join(entry.parentPath, entry.name)
    const { mtimeMs } = statSync(path)
    if (!newest || mtimeMs > newest.mtimeMs)
      newest = { path, mtimeMs }
  }
  return newest
}

if (!existsSync(built)) {
  console.error(`error: dist/ has no build of the launcher; ${build}`)
  process.exit(1)
}
const builtAt = statSync(built).mtimeMs
const changed = ['src', 'workers'].map(dir => newestSource(join(root, dir))).find(source => source && source.mtimeMs > builtAt)
if (changed) {
  console.error(`error: dist/ is older than ${relative(root, changed.path)}; ${build}`)
  process.exit(1)
}
