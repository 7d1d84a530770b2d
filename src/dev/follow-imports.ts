// A worker PM2 watches on its own code (src/plan/mode-options.ts) watches the files its script
// imported when the config was applied. One it imports since must be watched too: dev looks again
// when one of those files changes, and applies the config when the files differ.

import { watch } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { PlannedWorker } from '../plan/plan-workers.ts'

/** How long after a save dev looks at the imports again. */
const SETTLE_MS = 1000

/** The workers whose code is now other files than the ones PM2 watches. Pure: reading the code comes in. */
export function workersWithOtherFiles(workers: PlannedWorker[], filesOf: (script: string) => string[]): string[] {
  return workers.filter((worker) => {
    if (!worker.watchedCode)
      return false
    const now = filesOf(worker.script)
    return now.length !== worker.watchedCode.length || now.some((file, i) => file !== worker.watchedCode![i])
  }).map(worker => worker.name)
}

/**
 * Watches the files PM2 watches for `workers` (their folders, one level: an editor's save may
 * replace a file); when one changes and a worker's files differ from then, `onOther` gets their
 * names. Returns the stop.
 */
export function followImports(workers: PlannedWorker[], filesOf: (script: string) => string[], onOther: (names: string[]) => void): () => void {
  const watched = workers.filter(worker => worker.watchedCode)
  const byFolder = new Map<string, Set<string>>()
  for (const file of watched.flatMap(worker => worker.watchedCode!))
    byFolder.set(dirname(file), (byFolder.get(dirname(file)) ?? new Set()).add(basename(file)))
  let timer: ReturnType<typeof setTimeout> | undefined
  let done = false
  const watchers = [...byFolder].flatMap(([folder, names]) => {
    try {
      return [watch(folder, (_event, file) => {
        if (!file || !names.has(basename(String(file))))
          return
        clearTimeout(timer)
        // PM2's watcher restarts the worker for the same save: its restart is let through first,
        // so that the replacement that follows is told as one (and not as a crash).
        timer = setTimeout(() => {
          const other = workersWithOtherFiles(watched, filesOf)
          if (other.length > 0 && !done) {
            done = true
            onOther(other)
          }
        }, SETTLE_MS)
      })]
    }
    catch {
      // A folder gone since the plan: its worker fails to start, and says so.
      return []
    }
  })
  return () => {
    clearTimeout(timer)
    watchers.forEach(watcher => watcher.close())
  }
}
