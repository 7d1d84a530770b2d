import { expect, test } from 'bun:test'
import { type LogEntry, mergeByTime, parseGrep, selectEntries, timeLabel, toEntries, toJsonLine } from '../../src/report/log-query.ts'

const AT = Date.parse('2026-12-03T10:00:00.000Z')
const at = (s: number) => new Date(AT + s * 1000).toISOString()
const web = { worker: 'web', unit: 'web#0', stream: 'out' as const }

test('a unit\'s lines as entries; since, grep and the last N, in that order', () => {
  const entries = toEntries([`${at(0)} boot`, `${at(10)} GET /a 200`, `${at(20)} GET /b 500`, `${at(30)} GET /c 200`, ''], web)
  expect(entries.map(e => e.text)).toEqual(['boot', 'GET /a 200', 'GET /b 500', 'GET /c 200'])
  expect(selectEntries(entries, { lines: 2 }).map(e => e.text)).toEqual(['GET /b 500', 'GET /c 200'])
  expect(selectEntries(entries, { lines: 100, since: AT + 15_000 }).map(e => e.text)).toEqual(['GET /b 500', 'GET /c 200'])
  expect(selectEntries(entries, { lines: 1, grep: /GET/ }).map(e => e.text)).toEqual(['GET /c 200'])
  expect(selectEntries(entries, { lines: 0 })).toEqual([])
  // A line without a time cannot be shown to be recent.
  expect(selectEntries(toEntries(['old line'], web), { lines: 5, since: 0 })).toEqual([])
})

test('streams merged in the order the lines were written; lines without a time stay behind their own stream\'s last', () => {
  const out: LogEntry[] = [{ ...web, at: AT, text: 'o1' }, { ...web, text: 'o-untimed' }, { ...web, at: AT + 3, text: 'o3' }]
  const err: LogEntry[] = [{ ...web, stream: 'err', at: AT + 1, text: 'e1' }, { ...web, stream: 'err', at: AT + 4, text: 'e4' }]
  expect(mergeByTime([out, err]).map(e => e.text)).toEqual(['o1', 'o-untimed', 'e1', 'o3', 'e4'])
  expect(mergeByTime([[], out]).map(e => e.text)).toEqual(['o1', 'o-untimed', 'o3'])
})

test('--json lines, --grep patterns, and times for people', () => {
  expect(JSON.parse(toJsonLine({ ...web, at: AT, text: 'hi' }))).toEqual({ time: '2026-12-03T10:00:00.000Z', worker: 'web', unit: 'web#0', stream: 'out', text: 'hi' })
  expect(JSON.parse(toJsonLine({ ...web, text: 'hi' })).time).toBeNull()
  expect((parseGrep('/error/i') as RegExp).test('ERROR x')).toBe(true)
  expect((parseGrep('GET /a') as RegExp).test('GET /a 200')).toBe(true)
  expect(parseGrep('(')).toStartWith('--grep=( is not a regular expression')
  const noon = new Date(2026, 11, 3, 12, 5, 9).getTime()
  expect(timeLabel(noon, noon + 1000)).toBe('12:05:09')
  expect(timeLabel(noon, noon + 2 * 86_400_000)).toBe('2026-12-03 12:05:09')
  expect(timeLabel(undefined, noon)).toBe('')
})
