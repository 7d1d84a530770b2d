// PM2's own log, followed for the reasons it restarts a worker (memory limit, cron, watch).

import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs'

/** Why PM2 restarted a process, read from its daemon log: the bus does not say. */
export interface RestartReason {
  /** PM2 process id, for memory restarts. */
  pmId?: number
  /** App name, for watch restarts. */
  name?: string
  reason: string
}

const MEMORY = /Process (\d+) restarted because it exceeds --max-memory-restart value \(current_memory=(\d+) max_memory_limit=(\d+)/
const WATCH = /Change detected on path (.+) for app (\S+) - restarting/

/** Reads the lines PM2 appends to `path` (the daemon's pm2.log) and reports restart reasons. */
export function followDaemonLog(path: string, onReason: (reason: RestartReason) => void): () => void {
  let offset = existsSync(path) ? statSync(path).size : 0
  let rest = ''
  const timer = setInterval(() => {
    if (!existsSync(path))
      return
    const size = statSync(path).size
    if (size <= offset)
      return
    const fd = openSync(path, 'r')
    const buffer = Buffer.alloc(size - offset)
    readSync(fd, buffer, 0, buffer.length, offset)
    closeSync(fd)
    offset = size
    const lines = (rest + buffer.toString('utf8')).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) {
      const memory = MEMORY.exec(line)
      if (memory)
        onReason({ pmId: Number(memory[1]), reason: `memory: ${mb(memory[2]!)} over the ${mb(memory[3]!)} limit` })
      const watch = WATCH.exec(line)
      if (watch)
        onReason({ name: watch[2], reason: `file change: ${watch[1]}` })
    }
  }, 50)
  return () => clearInterval(timer)
}

function mb(bytes: string): string {
  return `${Math.round(Number(bytes) / 1024 / 1024)} MB`
}
