// `prestart`: `bun start` runs the build in dist/, so refuse a missing or stale one with a one-line
// hint rather than run old code. (Building by itself here would hide a failing build behind start.)
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '../..')
const built = join(root, 'dist/commands/exec-process.js')

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
  console.error('error: dist/ has no build of the launcher; run `bun run build` first, then `bun start`')
  process.exit(1)
}
const builtAt = statSync(built).mtimeMs
const changed = ['src', 'workers'].map(dir => newestSource(join(root, dir))).find(source => source && source.mtimeMs > builtAt)
if (changed) {
  console.error(`error: dist/ is older than ${relative(root, changed.path)}; run \`bun run build\` first, then \`bun start\``)
  process.exit(1)
}
