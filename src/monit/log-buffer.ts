// Each unit's last lines of output, stdout and stderr marked as `dev` marks them (`|`, `!`); a
// line without its end yet is held and shown as it is so far. Pure (no I/O, no timers).

export type Stream = 'out' | 'err'

export interface LogLine {
  stream: Stream
  text: string
}

/** How `dev` marks a line of each stream after the worker's name (report/log-printer.ts). */
export const STREAM_MARK: Record<Stream, string> = { out: '|', err: '!' }

/** The last `keep` lines of each unit; nothing else of its output is kept. */
export class LogBuffer {
  private readonly lines = new Map<string, LogLine[]>()
  private readonly partial = new Map<string, string>()

  constructor(private readonly keep = 200) {}

  /** A chunk of a unit's output as PM2 forwards it: its complete lines are kept, a partial one waits for the rest. */
  chunk(unit: string, stream: Stream, data: string): void {
    const key = `${stream}:${unit}`
    const parts = ((this.partial.get(key) ?? '') + data).split('\n')
    const rest = parts.pop()!
    if (rest)
      this.partial.set(key, rest)
    else
      this.partial.delete(key)
    this.add(unit, parts.map(text => ({ stream, text: text.replace(/\r$/, '') })))
  }

  /** Whole lines, from a log file's tail: they go before anything the bus brought. */
  seed(unit: string, lines: readonly LogLine[]): void {
    this.lines.set(unit, [...lines, ...this.lines.get(unit) ?? []].slice(-this.keep))
  }

  /** The unit's last `count` lines, oldest first; a line still being written comes last. */
  last(unit: string, count: number): LogLine[] {
    const held = (['out', 'err'] as const).flatMap(stream => this.partial.has(`${stream}:${unit}`) ? [{ stream, text: this.partial.get(`${stream}:${unit}`)! }] : [])
    return count <= 0 ? [] : [...this.lines.get(unit) ?? [], ...held].slice(-count)
  }

  /** Forgets every unit but `units` (those that left the daemon). */
  keepOnly(units: ReadonlySet<string>): void {
    for (const unit of this.lines.keys()) {
      if (!units.has(unit))
        this.lines.delete(unit)
    }
    for (const key of this.partial.keys()) {
      if (!units.has(key.slice(key.indexOf(':') + 1)))
        this.partial.delete(key)
    }
  }

  private add(unit: string, lines: LogLine[]): void {
    if (lines.length === 0)
      return
    const kept = this.lines.get(unit) ?? []
    kept.push(...lines)
    this.lines.set(unit, kept.length > this.keep ? kept.slice(-this.keep) : kept)
  }
}
