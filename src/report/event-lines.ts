// Which line a developer reads for each event of a worker's life, from what is known of it. Pure:
// report/events.ts keeps the facts and prints.

import type { Note } from '../types/health.ts'

/** A process came online: `started`, or `restarted` (and why) when it ran before and nobody asked for it, or a reason is known. */
export function onlineLine(unit: string, pid: number | null | undefined, facts: { ranBefore: boolean, expected: boolean, reason: string | undefined }): string {
  return onlineEvent(unit, pid, facts).text
}

/** `onlineLine`, with what it says as data (for `dev --json`). */
export function onlineEvent(unit: string, pid: number | null | undefined, { ranBefore, expected, reason }: { ranBefore: boolean, expected: boolean, reason: string | undefined }): { event: 'started' | 'restarted', reason?: string, text: string } {
  const withPid = pid ? ` (pid ${pid})` : ''
  if (ranBefore && (!expected || reason)) {
    const why = reason ?? 'after it exited'
    return { event: 'restarted', reason: why, text: `${unit} restarted${withPid}: ${why}` }
  }
  return { event: 'started', text: `${unit} started${withPid}` }
}

/**
 * A process exited: `stopped` when it was asked for, else `exited (code n)`. Nothing when the
 * exit was asked for with a reason (the restart line says it), or was said already (PM2 reports
 * a deleted process's exit twice).
 */
export function exitLine(unit: string, code: number | string | null | undefined, facts: { expected: boolean, reasonKnown: boolean, saidAlready: boolean }): string | undefined {
  return exitEvent(unit, code, facts)?.text
}

/** `exitLine`, with what it says as data (for `dev --json`). */
export function exitEvent(unit: string, code: number | string | null | undefined, { expected, reasonKnown, saidAlready }: { expected: boolean, reasonKnown: boolean, saidAlready: boolean }): { event: 'stopped' | 'exited', reason?: string, text: string } | undefined {
  if (saidAlready || (reasonKnown && expected))
    return undefined
  if (expected)
    return { event: 'stopped', text: `${unit} stopped` }
  // A signal's name where one ended it (bun-pm's daemons say which), else the exit code.
  return typeof code === 'string' ? { event: 'exited', reason: code, text: `${unit} was killed by ${code}` } : { event: 'exited', reason: `code ${code ?? 0}`, text: `${unit} exited (code ${code ?? 0})` }
}

/** bun-pm's entry said the code loaded: the same pid as last time is a `bun --watch` reload in place. */
export function reloadLine(unit: string, previousPid: number | undefined, pid: number): string | undefined {
  return previousPid === pid ? `${unit} reloaded its code (file change)` : undefined
}

/**
 * A worker stopped for good (errored, a job that exited non-zero, code that threw at startup):
 * the note, that the others keep running, how it runs again (dev: an edit), and its last lines —
 * except after a startup error, printed just above.
 */
export function haltLines(note: Note & { kind: 'errored' | 'failed' | 'exited' }, { retries, lastLines }: { retries: boolean, lastLines: string[] }): string[] {
  const hint = note.kind === 'failed' || !retries ? '' : note.kind === 'exited' ? '; edit its files to run it again' : '; edit its files to start it again'
  const last = note.kind === 'failed' ? [] : lastLines
  return [`${note.text}. The other workers keep running${hint}.${last.length ? ' Its last lines:' : ''}`, ...last.map(line => `  ${line}`)]
}
