// Each unit's last memory samples, kept short, and drawn as a sparkline (`▁▂▄▇`). Pure.

const BARS = '▁▂▃▄▅▆▇█'

/** How many samples a unit keeps: enough for the widest sparkline. */
export const KEPT_SAMPLES = 16

/**
 * The samples after one more poll: each unit of `rows` gets its value (a unit with no value, not
 * running, gets none and keeps what it had), the oldest go past `keep`, units that left are forgotten.
 */
export function recordSamples(history: ReadonlyMap<string, readonly number[]>, rows: readonly { name: string, memoryMb: number | null }[], keep = KEPT_SAMPLES): Map<string, number[]> {
  const next = new Map<string, number[]>()
  for (const { name, memoryMb } of rows) {
    const kept = [...history.get(name) ?? []]
    if (memoryMb !== null)
      kept.push(memoryMb)
    next.set(name, kept.slice(-keep))
  }
  return next
}

/**
 * The last `width` samples as bars from the lowest of them to the highest, right-aligned (fewer
 * samples leave blanks on the left). Values that hardly move (within 2 % or 1 unit) draw a flat
 * bottom line: noise is not drawn as a climb.
 */
export function sparkline(samples: readonly number[], width: number): string {
  const shown = samples.slice(-width)
  if (shown.length === 0 || width <= 0)
    return ' '.repeat(Math.max(0, width))
  const low = Math.min(...shown)
  const high = Math.max(...shown)
  const flat = high - low < Math.max(1, high * 0.02)
  const bars = shown.map(value => flat ? BARS[0] : BARS[Math.round(((value - low) / (high - low)) * (BARS.length - 1))])
  return bars.join('').padStart(width)
}
