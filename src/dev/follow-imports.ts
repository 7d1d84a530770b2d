// A worker PM2 watches on its own code (src/plan/mode-options.ts) watches the files its script
// imported when the config was applied. One it imports since must be watched too: dev looks again
// when one of those files changes, and applies the config when the files differ.

import type { PlannedWorker } from '../plan/plan-workers.ts'
import { watchFiles } from './watch-files.ts'

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
 * Watches the files PM2 watches for `workers`; when one changes and a worker's files differ from
 * the ones it was started with, `onOther` gets their names (once). Returns the stop.
 */
export function followImports(workers: PlannedWorker[], filesOf: (script: string) => string[], onOther: (names: string[]) => void): () => void {
  const watched = workers.filter(worker => worker.watchedCode)
  let timer: ReturnType<typeof setTimeout> | undefined
  let told = false
  const stop = watchFiles(watched.flatMap(worker => worker.watchedCode!), () => {
    clearTimeout(timer)
    // PM2's watcher restarts the worker for the same save: its restart is let through first,
    // so that the replacement that follows is told as one (and not as a crash).
    timer = setTimeout(() => {
      const other = workersWithOtherFiles(watched, filesOf)
      if (other.length > 0 && !told) {
        told = true
        onOther(other)
      }
    }, SETTLE_MS)
  })
  return () => {
    clearTimeout(timer)
    stop()
  }
}
