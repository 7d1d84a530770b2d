import { describe, expect, test } from 'bun:test'
import { recordSamples, sparkline } from '../../src/monit/sparkline.ts'

describe('monit: memory samples and their sparkline', () => {
  test('a climb is drawn from the lowest sample to the highest, right-aligned in its width', () => {
    expect(sparkline([10, 20, 30, 40, 50, 60, 70, 80], 8)).toBe('▁▂▃▄▅▆▇█')
    expect(sparkline([10, 80], 6)).toBe('    ▁█')
    // Only the last `width` samples count.
    expect(sparkline([500, 10, 80], 2)).toBe('▁█')
  })

  test('no samples draw blanks; values that hardly move draw a flat line, not noise', () => {
    expect(sparkline([], 4)).toBe('    ')
    expect(sparkline([30, 30, 30], 3)).toBe('▁▁▁')
    expect(sparkline([100, 101, 100], 3)).toBe('▁▁▁')
  })

  test('each poll adds one sample per running unit, keeps the last few, forgets units that left', () => {
    let history = recordSamples(new Map(), [{ name: 'web', memoryMb: 30 }, { name: 'gone', memoryMb: 5 }], 3)
    for (const mb of [31, 32, 33])
      history = recordSamples(history, [{ name: 'web', memoryMb: mb }, { name: 'job', memoryMb: null }], 3)
    expect([...history]).toEqual([['web', [31, 32, 33]], ['job', []]])
    // A stopped unit (no memory) keeps what it had.
    expect(recordSamples(history, [{ name: 'web', memoryMb: null }], 3).get('web')).toEqual([31, 32, 33])
  })
})
