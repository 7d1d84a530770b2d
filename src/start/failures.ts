// A failure's last lines, from the log files, and only those this run wrote.
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { diagnose, failureLines } from '../report/failures.ts'
import { parseLogLine } from '../model/log-lines.ts'
import type { Failure } from '../types/json.ts'
import type { ProcView } from '../pm2/process-view.ts'

/** Where each log file ended when a command began: its failures show the lines written after, this run's alone. */
export type LogMarks = ReadonlyMap<string, number>

/**
 * The end of every log file a run may write: PM2's own folder (`<home>/logs`, where a worker's
 * file outlives its process) and the files workers name themselves (`out_file`, `error_file`,
 * `log_file`, relative to their `cwd`).
 */
export function markLogs(home: string, options: { cwd?: string, out_file?: string, error_file?: string, log_file?: string }[]): LogMarks {
  const marks = new Map<string, number>()
  const mark = (path: string) => {
    try {
      marks.set(path, statSync(path).size)
    }
    catch {}
  }
  let files: string[] = []
  try {
    files = readdirSync(join(home, 'logs'))
  }
  catch {}
  files.forEach(file => mark(join(home, 'logs', file)))
  for (const o of options) {
    for (const file of [o.out_file, o.error_file, o.log_file]) {
      if (typeof file === 'string' && file !== '/dev/null')
        mark(resolve(o.cwd ?? '.', file))
    }
  }
  return marks
}

/** The failure of `name` with its last lines of output (written after `marks`, when given) and, where they show it, the usual cause. */
export function toFailure(name: string, reason: string, proc: ProcView | undefined, marks?: LogMarks): Failure {
  const from = (path: string | undefined) => path === undefined ? 0 : marks?.get(path) ?? 0
  const lastLines = proc ? [...tail(proc.outLog, 5, from(proc.outLog)), ...tail(proc.errLog, 10, from(proc.errLog))] : []
  return { name, reason: `${reason}${diagnose(lastLines)}`, lastLines }
}

export function printFailures(failures: Failure[]): void {
  for (const line of failures.flatMap(failureLines))
    console.error(line)
}

/**
 * The last `count` lines of a log file written after byte `from` (reading at most its last 64 KB).
 * A file now shorter than `from` was rotated or truncated: all of it is new.
 */
export function tail(path: string | undefined, count: number, from = 0): string[] {
  if (!path || !existsSync(path))
    return []
  const size = statSync(path).size
  const start = Math.max(size >= from ? from : 0, size - 64 * 1024)
  const length = size - start
  if (length <= 0)
    return []
  const buffer = Buffer.alloc(length)
  const fd = openSync(path, 'r')
  readSync(fd, buffer, 0, length, start)
  closeSync(fd)
  // A line's time stamp (the daemon's log writer) is left out: the text is what the worker wrote.
  return buffer.toString('utf8').split('\n').filter(Boolean).slice(-count).map(line => parseLogLine(line).text)
}
