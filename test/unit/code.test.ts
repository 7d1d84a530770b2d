import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { codeFiles, isOwnCode } from '../../src/model/code.ts'
import { codeDigest } from '../../src/plan/code-digest.ts'

const dirs: string[] = []
afterAll(() => dirs.forEach(dir => rmSync(dir, { recursive: true, force: true })))

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'bun-pm-code-'))
  dirs.push(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

describe('a worker\'s code', () => {
  test('the files reachable from the script, each once, the script first; a cycle ends', () => {
    const graph: Record<string, string[]> = { '/a': ['/c', '/b'], '/b': ['/c', '/a'], '/c': [] }
    expect(codeFiles('/a', path => graph[path] ?? [])).toEqual(['/a', '/b', '/c'])
    expect(isOwnCode('/app/lib/x.ts')).toBe(true)
    expect(isOwnCode('/app/node_modules/pm2/index.js')).toBe(false)
    expect(isOwnCode('/root/.bun/install/cache/pm2@7/index.js')).toBe(false)
    expect(isOwnCode('node:fs')).toBe(false)
    expect(isOwnCode('bun')).toBe(false)
  })

  test('imports, re-exports, import() and require() are followed; types, builtins and packages are not', () => {
    const root = project({
      'package-lock.json': '{}',
      'main.ts': `import { a } from './lib/a'\nimport type { T } from './lib/types'\nimport fs from 'node:fs'\nexport { b } from './lib/b.ts'\nconst c = await import('./lib/c')\nconst d = require('./lib/d.js')\nimport data from './data.json'\nconsole.log(a, fs, c, d, data)\n`,
      'lib/a.ts': `export const a = 1\n`,
      'lib/b.ts': `export const b = 1\n`,
      'lib/c.ts': `export const c = 1\n`,
      'lib/d.js': `module.exports = require('./e')\n`,
      'lib/e.js': `module.exports = 1\n`,
      'lib/types.ts': `export type T = 1\n`,
      'data.json': `{"x": 1}\n`,
    })
    const code = codeDigest(join(root, 'main.ts'))
    expect(code.files.map(f => f.slice(root.length + 1))).toEqual(['main.ts', 'data.json', 'lib/a.ts', 'lib/b.ts', 'lib/c.ts', 'lib/d.js', 'lib/e.js'])
    expect(code.lockfile).toBe(join(root, 'package-lock.json'))
  })

  test('the digest changes with any of those files or the lockfile, and only with them', () => {
    const root = project({ 'bun.lock': 'v1', 'main.ts': `import './lib'\n`, 'lib.ts': `export {}\n`, 'notes.md': 'x' })
    const digest = () => codeDigest(join(root, 'main.ts')).digest
    const first = digest()
    writeFileSync(join(root, 'notes.md'), 'y')
    writeFileSync(join(root, 'main.ts'), `import './lib'\n`)
    expect(digest()).toBe(first)
    writeFileSync(join(root, 'lib.ts'), `export const x = 1\n`)
    const second = digest()
    expect(second).not.toBe(first)
    writeFileSync(join(root, 'bun.lock'), 'v2')
    expect(digest()).not.toBe(second)
  })

  test('a file bun cannot parse is its content alone; a script that cannot be read is a version too', () => {
    const root = project({ 'main.ts': `import { from './x'\n` })
    expect(codeDigest(join(root, 'main.ts')).files).toHaveLength(1)
    expect(codeDigest(join(root, 'gone.ts')).digest).toMatch(/^[\w-]{10}$/)
  })
})
