// A worker's code as one digest, for its version in `start`: its script, the project files it
// imports (read with bun's own scanner and resolver) and the lockfile, so that `git pull && bun
// run build && bun start` replaces the workers whose code changed and only those.

import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, extname, join } from 'node:path'
import { codeFiles, isOwnCode, isScanned, LOCKFILES } from '../model/code.ts'

/** What a file is to a digest: its content's digest and its own-code imports. Shared by the workers of one plan. */
export type CodeCache = Map<string, { digest: string, imports: string[] }>

/** The digest of the code `script` runs, and the files it is made of. */
export function codeDigest(script: string, cache: CodeCache = new Map()): { digest: string, files: string[], lockfile: string | undefined } {
  const files = codeFiles(script, path => fileFacts(path, cache).imports)
  const lockfile = findLockfile(dirname(script))
  const hash = createHash('sha256')
  for (const file of lockfile ? [...files, lockfile] : files)
    hash.update(`${file}\0${fileFacts(file, cache).digest}\0`)
  return { digest: hash.digest('base64url').slice(0, 10), files, lockfile }
}

function fileFacts(path: string, cache: CodeCache): { digest: string, imports: string[] } {
  const known = cache.get(path)
  if (known)
    return known
  let bytes: Buffer | undefined
  try {
    bytes = readFileSync(path)
  }
  catch {}
  const facts = {
    // A file that cannot be read is a version of its own: it fails the same way until it is back.
    digest: bytes ? createHash('sha256').update(bytes).digest('base64url') : 'unreadable',
    imports: bytes && isScanned(path) ? importsOf(path, bytes.toString('utf8')) : [],
  }
  cache.set(path, facts)
  return facts
}

const transpilers = new Map<string, InstanceType<typeof Bun.Transpiler>>()

/** The own-code files `path` imports: static imports, re-exports, `import('…')` and `require('…')` with a literal path. */
function importsOf(path: string, text: string): string[] {
  const ext = extname(path)
  const loader = /x$/.test(ext) ? (ext.includes('t') ? 'tsx' : 'jsx') : ext.includes('t') ? 'ts' : 'js'
  let transpiler = transpilers.get(loader)
  if (!transpiler)
    transpilers.set(loader, transpiler = new Bun.Transpiler({ loader }))
  let specifiers: string[]
  try {
    specifiers = transpiler.scanImports(text).map(i => i.path)
  }
  catch {
    // A file bun cannot parse fails at start; its content alone is its version.
    return []
  }
  return specifiers.flatMap((specifier) => {
    try {
      const resolved = Bun.resolveSync(specifier, dirname(path))
      return isOwnCode(resolved) ? [resolved] : []
    }
    catch {
      return []
    }
  })
}

/** The nearest lockfile from `dir` up, within its repository (a workspace in a monorepo shares the root's). */
function findLockfile(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const found = LOCKFILES.map(name => join(at, name)).find(existsSync)
    if (found)
      return found
    if (at === dirname(at) || existsSync(join(at, '.git')))
      return undefined
  }
}
