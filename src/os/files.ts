// Private folders (0700, the user's own, no link) and the user's cache folder.

import { chmodSync, lstatSync, mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { WorkspaceError } from '../errors.ts'

/**
 * Creates `dir` (and the folders above it that are missing) only the user can use, and refuses
 * one that exists but is not theirs alone — a link, not a folder, another owner — in one line
 * saying `what` it is for. A folder of theirs open to others is closed (0700).
 */
export function ensurePrivateDir(dir: string, what: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const stat = lstatSync(dir)
  const uid = process.getuid?.()
  if (!stat.isDirectory() || stat.isSymbolicLink() || (uid !== undefined && stat.uid !== uid))
    throw new WorkspaceError(`${dir}: ${what}, but this is ${stat.isSymbolicLink() ? 'a link' : !stat.isDirectory() ? 'not a folder' : `owned by uid ${stat.uid}, not you (uid ${uid})`}; remove it (another user may have created it), or use another folder`)
  if ((stat.mode & 0o077) !== 0)
    chmodSync(dir, 0o700)
}

/** True for a folder (not a link) of this user that only they can use. */
export function isPrivateDir(dir: string): boolean {
  try {
    const stat = lstatSync(dir)
    return stat.isDirectory() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0
  }
  catch {
    return false
  }
}

/** bun-pm's folder in the user's cache: `$XDG_CACHE_HOME/bun-pm` (the XDG rule: only an absolute path counts), else `~/.cache/bun-pm`. */
export function userCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'bun-pm')
}
