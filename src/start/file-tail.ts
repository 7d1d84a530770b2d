// A worker's log file read as `tail -F` reads it, across the rotations bun-pm's daemon makes
// (src/pm2/daemon-logs.ts: the file closed, the copies shifted up, `.1` the newest, then a new file).
//
// Files are told apart by inode and read through descriptors held open, so a rename between two
// looks changes nothing that is read. Which copies to read is decided in model/log-lines.ts.

import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { copiesBetween } from '../model/log-lines.ts'

interface Opened { fd: number, ino: number }

/**
 * A log file read as it grows: `history()` gives the lines of its rotated copies, oldest first,
 * then `read()` the complete lines written since the last call (a partial one waits); when the
 * file is rotated, however often since the last look, the rest of the old one and the copies
 * between it and the new one are read first, then the new one from its start.
 */
export class FileTail {
  private fd = -1
  /** The last file read from (held at `fd`, or closed when it was a copy read by `history()`). */
  private ino: number | undefined
  private offset = 0
  private partial = ''
  constructor(readonly path: string) {
    const current = openFile(path)
    if (current)
      ({ fd: this.fd, ino: this.ino } = current)
  }

  /** The lines of the rotated copies older than the file held, oldest first. */
  history(): string[] {
    const { text, newest } = readCopiesBetween(this.path, this.ino, undefined)
    if (this.fd < 0 && newest !== undefined)
      this.ino = newest
    return text.split('\n')
  }

  read(): string[] {
    let text = this.drain()
    let now: number | undefined
    try {
      now = statSync(this.path).ino
    }
    catch {}
    if (now !== undefined && now !== this.ino) {
      // Rotated: its writer closed it before the rename, so what it holds now is all it will hold.
      text += this.drain()
      const next = openFile(this.path)
      if (next) {
        text += readCopiesBetween(this.path, next.ino, this.ino).text
        this.close()
        ;({ fd: this.fd, ino: this.ino } = next)
        this.offset = 0
        text += this.drain()
      }
    }
    const lines = (this.partial + text).split('\n')
    this.partial = lines.pop()!
    return lines
  }

  private drain(): string {
    if (this.fd < 0)
      return ''
    const size = fstatSync(this.fd).size
    // Truncated under us (pm2 flush): from its start again.
    if (size < this.offset)
      this.offset = 0
    const bytes = readBytes(this.fd, this.offset, size)
    this.offset += bytes.length
    return bytes.toString('utf8')
  }

  close(): void {
    if (this.fd >= 0)
      closeSync(this.fd)
    this.fd = -1
  }
}

function openFile(path: string): Opened | undefined {
  try {
    const fd = openSync(path, 'r')
    return { fd, ino: fstatSync(fd).ino }
  }
  catch {
    return undefined
  }
}

/**
 * The rotated copies of `path`, open, newest first, each once. Opened from `.1` up: a rotation
 * under way only moves files up, to names not yet opened, so none is passed over (one may be met
 * twice, and is kept once); a name missing in the middle of a shift is stepped over.
 */
function openCopies(path: string): Opened[] {
  let last = 0
  try {
    const base = `${basename(path)}.`
    for (const name of readdirSync(dirname(path))) {
      const n = name.startsWith(base) ? Number(name.slice(base.length)) : Number.NaN
      if (Number.isInteger(n) && n > last)
        last = n
    }
  }
  catch {}
  const copies: Opened[] = []
  for (let k = 1; k <= last + 1; k++) {
    const copy = openFile(`${path}.${k}`)
    if (!copy)
      continue
    if (copies.some(c => c.ino === copy.ino))
      closeSync(copy.fd)
    else
      copies.push(copy)
  }
  return copies
}

/** What `path`'s rotated copies between `newer` and `older` hold (see copiesBetween), oldest first; and the newest copy's inode. */
function readCopiesBetween(path: string, newer: number | undefined, older: number | undefined): { text: string, newest?: number } {
  const copies = openCopies(path)
  try {
    const text = copiesBetween(copies.map(c => c.ino), newer, older).map((ino) => {
      const { fd } = copies.find(c => c.ino === ino)!
      return readBytes(fd, 0, fstatSync(fd).size).toString('utf8')
    }).join('')
    return { text, newest: copies[0]?.ino }
  }
  finally {
    copies.forEach(c => closeSync(c.fd))
  }
}

/** The bytes of `fd` from `from` up to `to` (fewer if it ends sooner). */
function readBytes(fd: number, from: number, to: number): Buffer {
  const buffer = Buffer.alloc(Math.max(0, to - from))
  let done = 0
  while (done < buffer.length) {
    const read = readSync(fd, buffer, done, buffer.length - done, from + done)
    if (read === 0)
      break
    done += read
  }
  return buffer.subarray(0, done)
}
