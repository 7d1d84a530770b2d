// What planning reads of the machine — files, folders, interpreters on PATH, a script's code —
// behind one interface, so that the plan's decisions are tested without a disk.

import { existsSync, statSync } from 'node:fs'
import type { Interpreter } from '../types/config.ts'
import { type CodeCache, codeDigest } from './code-digest.ts'
import { requireInterpreter, requireProgram } from './interpreter.ts'

export interface Disk {
  isFile: (path: string) => boolean
  isFolder: (path: string) => boolean
  /** The interpreter's absolute path; throws the one-line error that says how to install it. */
  interpreter: (name: Interpreter, root: string, where: string) => string
  /** A cmd worker's program as an absolute path; throws the one-line error that says where it was looked for. */
  program: (name: string, root: string, where: string) => string
  /** The digest of the code a script runs, its files and its lockfile (see code-digest.ts). */
  code: (script: string) => ReturnType<typeof codeDigest>
}

/** The machine's disk, PATH and files, with one code cache for the workers of one plan. */
export function machineDisk(): Disk {
  const cache: CodeCache = new Map()
  return {
    isFile: path => existsSync(path) && statSync(path).isFile(),
    isFolder: path => existsSync(path) && statSync(path).isDirectory(),
    interpreter: requireInterpreter,
    program: requireProgram,
    code: script => codeDigest(script, cache),
  }
}
