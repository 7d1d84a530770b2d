import { existsSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { defineCommand } from 'citty'
import { rejectUnknownFlags } from '../cli/reject-unknown-flags.ts'
import { guessEntry, scaffold } from '../init/scaffold.ts'

export default defineCommand({
  meta: { name: 'init', description: 'Write a typed, commented pm.config.ts and a .env.example into this project (never overwriting)' },
  args: {
    cwd: { type: 'string', description: 'The project folder', valueHint: 'dir' },
  },
  plugins: [rejectUnknownFlags('init')],
  run({ args }) {
    const root = resolve(args.cwd ?? '.')
    for (const { path, text } of scaffold(guessEntry(root)).files) {
      const target = join(root, path)
      if (existsSync(target)) {
        console.log(`kept ${path}: it exists already`)
        continue
      }
      writeFileSync(target, text, { flag: 'wx' })
      console.log(`wrote ${path}`)
    }
    console.log('next: `npx bun-pm dev` runs the workers; `npx bun-pm explain` shows what PM2 would get')
  },
})
