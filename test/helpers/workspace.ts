import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { REPO } from './cli.ts'

/** `import { defineWorkspace } ...` as a user's config would write it, pointing at this repo. */
export const IMPORT_DEFINE = `import { defineWorkspace } from '${join(REPO, 'src/index.ts')}'\n`

export interface TempWorkspace {
  root: string
  write: (path: string, text: string) => void
  remove: () => void
}

/**
 * A throwaway project folder: `files` maps relative paths to contents. `pm.config.ts` given as an
 * object literal's source is wrapped in `export default defineWorkspace(...)`.
 */
export function makeWorkspace(files: Record<string, string>, { config }: { config?: string } = {}): TempWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'bun-pm-ws-'))
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  if (config !== undefined)
    write('pm.config.ts', `${IMPORT_DEFINE}export default defineWorkspace(${config})\n`)
  for (const [path, text] of Object.entries(files))
    write(path, text)
  // `import { heartbeat } from 'bun-pm'` in a worker finds this repo, as an installed package would.
  mkdirSync(join(root, 'node_modules'))
  symlinkSync(REPO, join(root, 'node_modules/bun-pm'))
  return { root, write, remove: () => rmSync(root, { recursive: true, force: true }) }
}

/**
 * A copy of this repo's example workspace (pm.config.ts, workers/, its package name) in a folder
 * of the test's own: no `.env` the developer keeps in the checkout can change what a test sees.
 */
export function exampleWorkspace(): TempWorkspace {
  const config = readFileSync(join(REPO, 'pm.config.ts'), 'utf8').replace(`from './src/index.ts'`, `from '${join(REPO, 'src/index.ts')}'`)
  const files: Record<string, string> = { 'pm.config.ts': config, 'package.json': '{ "name": "bun-pm" }\n' }
  for (const name of readdirSync(join(REPO, 'workers')))
    files[`workers/${name}`] = readFileSync(join(REPO, 'workers', name), 'utf8').replace(`from '../src/index.ts'`, `from '${join(REPO, 'src/index.ts')}'`)
  return makeWorkspace(files)
}

/** Temporary workspaces a test file makes (`make` takes the config's object source, as `makeWorkspace` does), removed together by `removeAll`. */
export function tempWorkspaces() {
  const made: TempWorkspace[] = []
  return {
    make(config: string, files: Record<string, string> = {}): TempWorkspace {
      const ws = makeWorkspace(files, { config })
      made.push(ws)
      return ws
    },
    removeAll: () => made.forEach(ws => ws.remove()),
  }
}
