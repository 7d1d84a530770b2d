// The libc calls bun-pm makes through bun:ffi: a subreaper for a session's orphans, and a lock
// the kernel releases when its holder dies.
import { osBackend } from './backend.ts'

/**
 * Makes this process the "subreaper" of its descendants (Linux prctl PR_SET_CHILD_SUBREAPER):
 * a process whose parent dies is handed to us instead of to init, so a worker's child that cleared
 * its environment and left its group is still found (as our child). False where it cannot be set:
 * macOS has no such thing, and BUN_PM_OS=portable goes without it on Linux too, as a Mac would.
 */
export function becomeSubreaper(): boolean {
  if (process.platform !== 'linux' || !process.versions.bun || osBackend() !== 'proc')
    return false
  try {
    // eslint-disable-next-line ts/no-require-imports
    const { dlopen, FFIType } = require('bun:ffi') as typeof import('bun:ffi')
    const libc = dlopen('libc.so.6', { prctl: { args: [FFIType.i32, FFIType.u64, FFIType.u64, FFIType.u64, FFIType.u64], returns: FFIType.i32 } })
    const PR_SET_CHILD_SUBREAPER = 36
    return libc.symbols.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) === 0
  }
  catch {
    return false
  }
}

/**
 * Takes an exclusive lock on an open file (flock), without waiting; the kernel releases it when
 * the holder closes the file or dies, so a crashed holder never leaves a stale lock.
 * Undefined where flock cannot be called. macOS's libc has the same call and the same flags.
 */
export function tryLock(fd: number): boolean | undefined {
  const path = process.platform === 'linux' ? 'libc.so.6' : process.platform === 'darwin' ? '/usr/lib/libSystem.B.dylib' : undefined
  if (!path || !process.versions.bun)
    return undefined
  try {
    // eslint-disable-next-line ts/no-require-imports
    const { dlopen, FFIType } = require('bun:ffi') as typeof import('bun:ffi')
    const libc = dlopen(path, { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } })
    const LOCK_EX = 2
    const LOCK_NB = 4
    return libc.symbols.flock(fd, LOCK_EX | LOCK_NB) === 0
  }
  catch {
    return undefined
  }
}
