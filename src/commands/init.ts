// `init`: a typed pm.config.ts and .env.example for a project, or one converted from an
// ecosystem file or a Procfile; never overwrites.

import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { defineCommand } from 'citty'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { WorkspaceError } from '../errors.ts'
import { configSource, type Conversion, fromEcosystem, fromProcfile } from '../init/convert.ts'
import { guessEntry, scaffold } from '../init/scaffold.ts'
import { pm2OptionNames } from '../pm2/schema.ts'
import { bunPm } from '../invocation.ts'

export default defineCommand({
  meta: { name: 'init', description: 'Write a typed, commented pm.config.ts and a .env.example into this project (never overwriting); --from converts a PM2 ecosystem file or a Procfile' },
  args: {
    cwd: { type: 'string', description: 'The project folder', valueHint: 'dir' },
    from: { type: 'string', description: 'An ecosystem.config.js (.cjs, .json) or a Procfile to convert', valueHint: 'file' },
  },
  plugins: [rejectUnknownFlags('init')],
  async run({ args }) {
    const root = resolve(args.cwd ?? '.')
    const files = scaffold(guessEntry(root)).files
    if (args.from) {
      const conversion = await convert(resolve(root, args.from))
      files[0] = { path: 'pm.config.ts', text: configSource(conversion, basename(args.from)) }
      for (const line of conversion.dropped)
        console.log(`not carried over: ${line}`)
    }
    for (const { path, text } of files) {
      const target = join(root, path)
      if (existsSync(target)) {
        console.log(`kept ${path}: it exists already`)
        continue
      }
      writeFileSync(target, text, { flag: 'wx' })
      console.log(`wrote ${path}`)
    }
    console.log(`next: \`${bunPm('dev')}\` runs the workers; \`${bunPm('explain')}\` shows what PM2 would get`)
  },
})

async function convert(path: string): Promise<Conversion> {
  if (!existsSync(path))
    throw new WorkspaceError(`${path}: no such file; --from takes an ecosystem.config.js or a Procfile`)
  if (!/\.(c|m)?js$|\.json$/.test(path))
    return fromProcfile(readFileSync(path, 'utf8'))
  let loaded: { default?: unknown, apps?: unknown }
  try {
    loaded = await import(path) as { default?: unknown, apps?: unknown }
  }
  catch (error) {
    throw new WorkspaceError(`${path}: cannot be loaded (${(error as Error).message.split('\n')[0]}); fix it or convert it by hand`, { cause: error })
  }
  const config = (loaded.default ?? loaded) as { apps?: unknown }
  return fromEcosystem(config.apps, pm2OptionNames())
}
