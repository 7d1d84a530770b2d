// Preloaded into the PM2 daemons bun-pm spawns: each bun-pm worker's log files within its budget, every line stamped with its time.
//
// PM2 writes a worker's output through write streams it opens per file (Utility.startLogging);
// pm2-logrotate copies and truncates them, losing what comes in between, and PM2's reloadLogs
// destroys streams with their unwritten data. Here a bun-pm worker's files (those whose process
// carries a budget, LOG_BUDGET_KEY) are written synchronously instead: a write that would pass
// the size goes, whole lines only, to a new file after the current one is renamed `.1` (the
// older ones shifting up, the oldest removed). No line is lost or cut, the worker never restarts.
// Other apps on the daemon are written as PM2 writes them.

import { closeSync, existsSync, fstatSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { BOUNDED_LOGS_FILE, decodeBudget, LOG_BUDGET_KEY, type LogBudget, planWrite, rotatedNames, stampLines } from '../model/log-lines.ts'

interface Pm2Env {
  [LOG_BUDGET_KEY]?: unknown
  pm_out_log_path?: string
  pm_err_log_path?: string
  pm_log_path?: string
  log_date_format?: string
  log_type?: string
}

/** One log file, written as PM2's streams are (`write`, `destroy`, `_file`), but at once and within its budget. */
class BoundedLog {
  fd: number
  size: number
  midLine = false
  constructor(readonly _file: string, private readonly budget: LogBudget, private readonly stamp: boolean) {
    this.fd = openSync(_file, 'a', 0o640)
    this.size = fstatSync(this.fd).size
  }

  write(data: string | Uint8Array): boolean {
    if (this.fd < 0)
      return false
    let text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8')
    const wasMidLine = this.midLine
    if (this.stamp)
      ({ text, midLine: this.midLine } = stampLines(text, this.midLine, Date.now()))
    else if (text !== '')
      this.midLine = !text.endsWith('\n')
    const bytes = Buffer.from(text)
    const { here, rotate } = planWrite({ size: this.size, length: bytes.length, firstNewline: bytes.indexOf(10), midLine: wasMidLine }, this.budget.maxBytes)
    this.append(bytes.subarray(0, here))
    if (rotate)
      this.rotate()
    this.append(bytes.subarray(here))
    return true
  }

  private append(bytes: Uint8Array): void {
    let done = 0
    while (done < bytes.length)
      done += writeSync(this.fd, bytes, done, bytes.length - done)
    this.size += bytes.length
  }

  private rotate(): void {
    closeSync(this.fd)
    const names = [this._file, ...rotatedNames(this._file, this.budget.keep)]
    try {
      if (existsSync(names.at(-1)!) && names.length > 1)
        unlinkSync(names.at(-1)!)
      for (let i = names.length - 2; i >= 0; i--) {
        if (existsSync(names[i]!))
          renameSync(names[i]!, names[i + 1]!)
      }
      if (this.budget.keep === 0)
        writeFileSync(this._file, '')
    }
    catch (error) {
      console.error(`bun-pm: could not rotate ${this._file}: ${(error as Error).message}`)
    }
    this.fd = openSync(this._file, 'a', 0o640)
    this.size = fstatSync(this.fd).size
  }

  destroy(): void {
    if (this.fd >= 0)
      closeSync(this.fd)
    this.fd = -1
  }

  end(): void {
    this.destroy()
  }

  close(): void {
    this.destroy()
  }
}

/** The daemon's God and Utility, patched: forkMode says which files are whose, startLogging opens a bun-pm worker's own way. */
function install(): void {
  /* eslint-disable ts/no-require-imports */
  const God = require('pm2/lib/God.js') as { forkMode: (env: Pm2Env, cb: unknown) => unknown }
  const Utility = require('pm2/lib/Utility.js') as { startLogging: (stds: Record<string, unknown>, cb: (error?: Error | null) => void) => void }
  /* eslint-enable ts/no-require-imports */
  const owners = new Map<string, { budget: LogBudget, stamp: boolean }>()
  const forkMode = God.forkMode
  God.forkMode = function (this: unknown, env: Pm2Env, cb: unknown) {
    const budget = decodeBudget(env[LOG_BUDGET_KEY])
    if (budget) {
      // PM2's own date prefix or JSON lines carry a time already.
      const stamp = !env.log_date_format && env.log_type !== 'json'
      for (const path of [env.pm_out_log_path, env.pm_err_log_path, env.pm_log_path]) {
        if (path && !path.includes('/dev/null') && !path.includes('NULL'))
          owners.set(path, { budget, stamp })
      }
    }
    return forkMode.call(this, env, cb)
  }
  const startLogging = Utility.startLogging
  Utility.startLogging = function (stds, cb) {
    try {
      for (const [key, value] of Object.entries(stds)) {
        const owner = typeof value === 'string' ? owners.get(value) : undefined
        if (owner)
          stds[key] = new BoundedLog(value as string, owner.budget, owner.stamp)
      }
    }
    catch (error) {
      return cb(error as Error)
    }
    // PM2 opens the rest, and passes over what is open already (an object with an fd).
    return startLogging.call(this, stds, cb)
  }
  if (process.env.PM2_HOME)
    writeFileSync(join(process.env.PM2_HOME, BOUNDED_LOGS_FILE), String(process.pid))
}

install()
