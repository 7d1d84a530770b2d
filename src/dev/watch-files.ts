// Watching a worker's own files (its script and what it imports) rather than its folder.

import { watch } from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * Calls `onChange` with the path of one of `files` that changed. Their folders are watched, one
 * level each, not the files: an editor's save may replace a file, which a watch on it misses.
 * Returns the stop.
 */
export function watchFiles(files: string[], onChange: (file: string) => void): () => void {
  const byFolder = new Map<string, Set<string>>()
  for (const file of files)
    byFolder.set(dirname(file), (byFolder.get(dirname(file)) ?? new Set()).add(basename(file)))
  const watchers = [...byFolder].flatMap(([folder, names]) => {
    try {
      return [watch(folder, (_event, file) => {
        const name = file ? basename(String(file)) : ''
        if (names.has(name))
          onChange(join(folder, name))
      })]
    }
    catch {
      // A folder gone since the plan: its worker fails to start, and says so.
      return []
    }
  })
  return () => watchers.forEach(watcher => watcher.close())
}
