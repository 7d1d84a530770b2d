// Preloaded first into the PM2 daemons bun-pm spawns: PM2's tree kill, reading the process tree from /proc instead of running `ps`.
//
// To stop a process PM2 kills its whole tree (`treekill`, on by default): pm2/lib/TreeKill.js
// spawns `ps -e -o pid=,ppid=` for every process it stops, lists every process of the machine,
// and kills the stopped one's descendants, deepest first, then it. The daemon spawns each `ps`
// on its one thread: stopping 200 workers at once was 200 spawns one after another, ~25 s on a
// loaded 2-core machine (bench/scale-2026-12-07.md). This is the same kill — the same
// descendants in the same order, the same signal, the same callback — with the tree read from
// the kernel's list of each thread's children (/proc/<pid>/task/<tid>/children), which touches
// only the stopped process's own tree. Where the kernel has no such list (CONFIG_PROC_CHILDREN
// off), or a read fails in a way that is not the process being gone, PM2's own runs.
//
// It must be loaded before PM2's God.js (which keeps TreeKill as it finds it): first of the
// daemon's preloads. Loaded after, it changes nothing.

import { existsSync } from 'node:fs'
import { descendantsOf } from '../os/process-tree.ts'

type Callback = (error?: Error | null, pids?: number[]) => void
type TreeKill = (pid: number | string, signal: string, callback?: Callback) => void

function killPid(pid: number, signal: string): void {
  try {
    process.kill(pid, signal)
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH')
      console.error(error)
  }
}

function install(): void {
  if (process.platform !== 'linux' || !existsSync(`/proc/self/task/${process.pid}/children`))
    return
  /* eslint-disable ts/no-require-imports */
  const path = require.resolve('pm2/lib/TreeKill.js')
  if (require.cache[require.resolve('pm2/lib/God.js')])
    return
  const pm2TreeKill = require(path) as TreeKill
  /* eslint-enable ts/no-require-imports */
  const treeKill: TreeKill = (pid, signal, callback) => {
    const root = Number.parseInt(String(pid), 10)
    if (Number.isNaN(root))
      return pm2TreeKill(pid, signal, callback)
    let all: number[]
    try {
      all = [...descendantsOf(root), root]
    }
    catch {
      return pm2TreeKill(pid, signal, callback)
    }
    for (const each of all)
      killPid(each, signal)
    // As after `ps`: the caller hears of it later, never within its own call.
    if (callback)
      setImmediate(() => callback(null, all))
  }
  require.cache[path]!.exports = treeKill
}

install()
