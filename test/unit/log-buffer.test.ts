import { describe, expect, test } from 'bun:test'
import { LogBuffer, STREAM_MARK } from '../../src/monit/log-buffer.ts'

describe('monit: each unit\'s last lines', () => {
  test('lines are kept per unit and stream, a partial line waits for its end but is shown so far', () => {
    const logs = new LogBuffer()
    logs.chunk('web#0', 'out', 'one\ntw')
    logs.chunk('web#1', 'err', 'other unit\n')
    expect(logs.last('web#0', 10)).toEqual([{ stream: 'out', text: 'one' }, { stream: 'out', text: 'tw' }])
    logs.chunk('web#0', 'out', 'o\r\n')
    logs.chunk('web#0', 'err', 'boom\n')
    expect(logs.last('web#0', 10)).toEqual([{ stream: 'out', text: 'one' }, { stream: 'out', text: 'two' }, { stream: 'err', text: 'boom' }])
    expect(logs.last('web#1', 10)).toEqual([{ stream: 'err', text: 'other unit' }])
    expect(logs.last('web#0', 0)).toEqual([])
  })

  test('only the last lines are kept; a log file\'s tail goes before what came live; units that left are forgotten', () => {
    const logs = new LogBuffer(3)
    logs.chunk('web', 'out', 'a\nb\nc\nd\n')
    expect(logs.last('web', 10).map(l => l.text)).toEqual(['b', 'c', 'd'])
    logs.seed('job', [{ stream: 'out', text: 'from the file' }])
    logs.chunk('job', 'out', 'live\n')
    expect(logs.last('job', 10).map(l => l.text)).toEqual(['from the file', 'live'])
    logs.keepOnly(new Set(['job']))
    expect(logs.last('web', 10)).toEqual([])
  })

  test('stdout and stderr are marked as dev marks them', () => {
    expect(STREAM_MARK).toEqual({ out: '|', err: '!' })
  })
})
