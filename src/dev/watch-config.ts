// The files of a workspace that bun --watch cannot see, watched by the dev launcher itself.

import { watch } from 'node:fs'
import { basename } from 'node:path'
import { ENV_FILES } from '../config/env.ts'

/**
 * `.env` and `.env.local` are not imported, so `bun --watch` cannot see them: watch them here.
 * `pm.config.ts` is imported, so under `bun --watch` bun reloads the launcher when it changes;
 * without `--watch` it is watched here too.
 */
export function watchConfigFiles(root: string, includeConfig: boolean, onChange: () => Promise<void>): () => void {
  const names = new Set<string>(ENV_FILES)
  let timer: ReturnType<typeof setTimeout> | undefined
  const watcher = watch(root, (_event, file) => {
    const name = file ? basename(String(file)) : ''
    if (!names.has(name) && !(includeConfig && /^pm\.config\.[cm]?[jt]s$/.test(name)))
      return
    clearTimeout(timer)
    timer = setTimeout(() => void onChange(), 100)
  })
  return () => {
    clearTimeout(timer)
    watcher.close()
  }
}
