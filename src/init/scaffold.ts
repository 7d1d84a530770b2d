// `init`'s starting point: a commented pm.config.ts around the project's likely entry.

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Files `init` writes into a project: a typed, commented pm.config.ts and a .env.example. */
export interface Scaffold {
  files: { path: string, text: string }[]
}

const ENTRY_CANDIDATES = ['src/index.ts', 'src/server.ts', 'src/main.ts', 'index.ts', 'server.ts', 'main.ts', 'src/index.js', 'index.js', 'server.js']

/** The project's likely entry: package.json's `main` if it names a script, else a usual file name. Reads, decides nothing else. */
export function guessEntry(root: string): string | undefined {
  try {
    const main = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main?: unknown }).main
    if (typeof main === 'string' && /\.[cm]?[jt]s$/.test(main) && existsSync(join(root, main)))
      return main.replace(/^\.\//, '')
  }
  catch {}
  return ENTRY_CANDIDATES.find(file => existsSync(join(root, file)))
}

/** The files for a project whose entry is `entry` (or none found). Pure. */
export function scaffold(entry: string | undefined): Scaffold {
  const script = entry ?? 'src/index.ts'
  const config = `import { defineWorkspace } from 'bun-pm'

// The workers of this project. \`bun-pm dev\` runs them all in the foreground with their logs and
// restarts what you edit; \`bun-pm start\` hands group \`primary\` to PM2 for production.
// Hover a field in your editor for its documentation; the README has the full reference.
export default defineWorkspace({
  // PM2 options shared by every worker (see PM2's docs), and bun-pm's \`health\`.
  defaults: {
    max_memory_restart: '200M',
  },
  workers: [
    {
      name: 'web',
      group: 'primary',
      bun: '${script}',${entry ? '' : ' // no entry file was found: point this at yours'}
      // How bun-pm knows the worker is alive and ready: an http(s):// URL that must answer 2xx,
      // tcp://host:port, a duration such as '30s' (the worker calls heartbeat()), or '' for none.
      heartbeat: '',
      options: {
        env: { PORT: process.env.PORT ?? '3000' },
      },
    },
  ],
})
`
  return { files: [{ path: 'pm.config.ts', text: config }, { path: '.env.example', text: envExample(true) }] }
}

/** The `.env.example` text; without the PORT line for a converted config, whose workers set PORT in their env (which wins). Pure. */
export function envExample(withPort: boolean): string {
  return `# Copy to .env (or .env.local for machine-only values); bun-pm reads both for every worker.
# The shell's environment wins over both files; the config's env wins over the shell.
${withPort ? 'PORT=3000\n' : ''}`
}
