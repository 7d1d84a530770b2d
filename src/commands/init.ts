// `init`: a typed pm.config.ts and .env.example for a project, or one converted from an
// ecosystem file or a Procfile; never overwrites.

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { WorkspaceError } from '../errors.ts'
import { configSource, type Conversion } from '../init/convert.ts'
import { fromEcosystem } from '../init/ecosystem.ts'
import { FOREMAN_BASE_PORT, fromProcfile } from '../init/procfile.ts'
import { envExample, guessEntry, scaffold } from '../init/scaffold.ts'
import { pm2OptionNames } from '../pm2/schema.ts'
import type { InitJson } from '../types/json.ts'
import { bunPm } from '../invocation.ts'

export default defineCommand({
  meta: { name: 'init', description: 'Write a typed, commented pm.config.ts and a .env.example into this project (never overwriting); --from converts a PM2 ecosystem file or a Procfile' },
  args: {
    cwd: { type: 'string', description: 'The project folder', valueHint: 'dir' },
    from: { type: 'string', description: 'An ecosystem.config.js (.cjs, .json) or a Procfile to convert', valueHint: 'file' },
    json: { type: 'boolean', description: 'One JSON object: the files written or kept, and what the conversion could not carry over' },
  },
  plugins: [rejectUnknownFlags('init')],
  async run({ args }) {
    const root = resolve(args.cwd ?? '.')
    const say = args.json ? () => {} : (line: string) => console.log(line)
    const files = scaffold(guessEntry(root)).files
    const output: InitJson = { files: [], dropped: [], changed: [] }
    if (args.from) {
      // A conversion is the whole config: kept beside an existing one, it would be lost work.
      if (existsSync(join(root, 'pm.config.ts')))
        throw new WorkspaceError(`${join(root, 'pm.config.ts')} exists already, and init never overwrites it: move it away (or convert in another folder), then run \`${bunPm(`init --from ${args.from}`)}\` again`)
      const conversion = await convert(resolve(root, args.from), root)
      files[0] = { path: 'pm.config.ts', text: configSource(conversion, basename(args.from)) }
      files[1] = { path: '.env.example', text: envExample(false) }
      output.dropped = conversion.dropped
      output.changed = conversion.changed
      for (const line of conversion.dropped)
        say(`not carried over: ${line}`)
      for (const line of conversion.changed)
        say(`changed: ${line}`)
    }
    for (const { path, text } of files) {
      const target = join(root, path)
      if (existsSync(target)) {
        output.files.push({ path, action: 'kept' })
        say(`kept ${path}: it exists already`)
        continue
      }
      writeFileSync(target, text, { flag: 'wx' })
      output.files.push({ path, action: 'wrote' })
      say(`wrote ${path}`)
    }
    if (output.files[0]?.action === 'wrote' && !isModuleProject(root))
      console.error('note: package.json has no "type": "module", so TypeScript (`tsc`) reads pm.config.ts as CommonJS and refuses its `import` and `export default` (TS1295); add "type": "module" to package.json (bun-pm itself loads it either way)')
    say(`next: \`${bunPm('dev')}\` runs the workers; \`${bunPm('explain')}\` shows what PM2 would get`)
    if (args.json)
      console.log(JSON.stringify(output, null, 2))
  },
})

async function convert(path: string, root: string): Promise<Conversion> {
  if (!existsSync(path))
    throw new WorkspaceError(`${path}: no such file; --from takes an ecosystem.config.js or a Procfile`)
  if (!/\.(c|m)?js$|\.json$/.test(path))
    return fromProcfile(readFileSync(path, 'utf8'), foremanBasePort(root))
  let loaded: { default?: unknown, apps?: unknown }
  try {
    loaded = await import(path) as { default?: unknown, apps?: unknown }
  }
  catch (error) {
    throw new WorkspaceError(`${path}: cannot be loaded (${(error as Error).message.split('\n')[0]}); fix it or convert it by hand`, { cause: error })
  }
  return fromEcosystem(loaded.default ?? loaded, pm2OptionNames(), { root, fileName: basename(path) })
}

/** Foreman's base port: the project's `.env` PORT when it sets one, else 5000. */
function foremanBasePort(root: string): number {
  const env = existsSync(join(root, '.env')) ? readFileSync(join(root, '.env'), 'utf8') : ''
  const port = /^\s*(?:export\s+)?PORT\s*=\s*["']?(\d+)["']?\s*$/m.exec(env)?.[1]
  return port ? Number(port) : FOREMAN_BASE_PORT
}

/** Whether the project's package.json makes its .ts files ES modules for TypeScript (no package.json: nothing to say). */
function isModuleProject(root: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { type?: string }).type === 'module'
  }
  catch {
    return true
  }
}
