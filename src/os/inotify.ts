// inotify instances: the per-user limit, and how many this user's processes hold (each
// `bun --watch` takes one). Linux's: macOS watches with kqueue, which has no such budget, and the
// portable backend (BUN_PM_OS=portable) does not count it either.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { osBackend } from './backend.ts'
import { allPids, uidOf } from './processes.ts'

/** The inotify instances one user may hold (fs.inotify.max_user_instances), if it can be read. */
export function inotifyLimit(): number | undefined {
  if (osBackend() !== 'proc')
    return undefined
  try {
    return Number(readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8').trim()) || undefined
  }
  catch {
    return undefined
  }
}

/** The inotify instances this user's processes hold now (editors, watchers, bun --watch). */
export function inotifyInUse(): number {
  if (osBackend() !== 'proc')
    return 0
  const uid = process.getuid?.()
  let count = 0
  for (const pid of allPids()) {
    if (uidOf(pid) !== uid)
      continue
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    }
    catch {
      continue
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify')
          count++
      }
      catch {}
    }
  }
  return count
}
