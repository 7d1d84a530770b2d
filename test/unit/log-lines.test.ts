import { expect, test } from 'bun:test'
import { copiesBetween, decodeBudget, encodeBudget, parseLogLine, parseSince, parseSize, planWrite, rotatedNames, stampLines, toLogBudget } from '../../src/model/log-lines.ts'

const AT = Date.parse('2026-12-03T10:00:00.000Z')
const STAMP = '2026-12-03T10:00:00.000Z '

test('each line that begins in a write gets one stamp, however the output was cut', () => {
  expect(stampLines('a\nb\n', false, AT)).toEqual({ text: `${STAMP}a\n${STAMP}b\n`, midLine: false })
  // A line cut by a chunk: its rest, in the next write, gets no second stamp.
  expect(stampLines('a\nhal', false, AT)).toEqual({ text: `${STAMP}a\n${STAMP}hal`, midLine: true })
  expect(stampLines('f\nnext', true, AT)).toEqual({ text: `f\n${STAMP}next`, midLine: true })
  expect(stampLines('more', true, AT)).toEqual({ text: 'more', midLine: true })
  expect(stampLines('\n', true, AT)).toEqual({ text: '\n', midLine: false })
  expect(stampLines('', true, AT)).toEqual({ text: '', midLine: true })
  // Read back: the time and the worker's own text.
  expect(parseLogLine(`${STAMP}GET / 200`)).toEqual({ at: AT, text: 'GET / 200' })
  expect(parseLogLine('written before bun-pm stamped lines')).toEqual({ text: 'written before bun-pm stamped lines' })
})

test('the budget: sizes as PM2 writes them, the defaults, false for none, and how it travels to the daemon', () => {
  expect([parseSize('10M'), parseSize('512K'), parseSize('1G'), parseSize(4096), parseSize('1.5M'), parseSize('10MB')]).toEqual([10 * 2 ** 20, 512 * 1024, 2 ** 30, 4096, 1.5 * 2 ** 20, 10 * 2 ** 20])
  expect([parseSize('ten'), parseSize(0), parseSize(-1), parseSize('10X'), parseSize(1.5)]).toEqual([undefined, undefined, undefined, undefined, undefined])
  expect(toLogBudget(undefined)).toEqual({ maxBytes: 10 * 2 ** 20, keep: 3 })
  expect(toLogBudget({ maxSize: '1M' })).toEqual({ maxBytes: 2 ** 20, keep: 3 })
  expect(toLogBudget({ keep: 0 })).toEqual({ maxBytes: 10 * 2 ** 20, keep: 0 })
  expect(toLogBudget(false)).toBeNull()
  expect(decodeBudget(encodeBudget({ maxBytes: 1234, keep: 2 }))).toEqual({ maxBytes: 1234, keep: 2 })
  expect(decodeBudget(undefined)).toBeUndefined()
  expect(rotatedNames('/h/logs/web-out.log', 2)).toEqual(['/h/logs/web-out.log.1', '/h/logs/web-out.log.2'])
})

test('--since: a length of time back, or a moment', () => {
  expect(parseSince('10m', AT)).toBe(AT - 600_000)
  expect(parseSince('90s', AT)).toBe(AT - 90_000)
  expect(parseSince('2h', AT)).toBe(AT - 7_200_000)
  expect(parseSince('1d', AT)).toBe(AT - 86_400_000)
  expect(parseSince('2026-12-03T09:00:00Z', AT)).toBe(AT - 3_600_000)
  expect([parseSince('yesterday', AT), parseSince('10', AT), parseSince('10y', AT)]).toEqual([undefined, undefined, undefined])
})

test('a file passes its budget only by whole lines: a new one begins at a line\'s start', () => {
  const max = 100
  expect(planWrite({ size: 50, length: 40, firstNewline: 10, midLine: true }, max)).toEqual({ here: 40, rotate: false })
  expect(planWrite({ size: 0, length: 500, firstNewline: 10, midLine: false }, max)).toEqual({ here: 500, rotate: false })
  // Past the budget at a line's start: the whole write goes to the new file.
  expect(planWrite({ size: 90, length: 40, firstNewline: 10, midLine: false }, max)).toEqual({ here: 0, rotate: true })
  // Inside a line: its end stays here, the rest goes to the new file.
  expect(planWrite({ size: 90, length: 40, firstNewline: 10, midLine: true }, max)).toEqual({ here: 11, rotate: true })
  // A line that goes on and on is never cut: the file waits for its end.
  expect(planWrite({ size: 90, length: 40, firstNewline: -1, midLine: true }, max)).toEqual({ here: 40, rotate: false })
})

test('copiesBetween: the rotated copies between the file read before and the one held now, oldest first', () => {
  // Copies found newest first (.1, .2, .3, .4) by inode.
  const copies = [14, 13, 12, 11]
  // History: the held file is still the current one, or was rotated to .1 meanwhile.
  expect(copiesBetween(copies, 15, undefined)).toEqual([11, 12, 13, 14])
  expect(copiesBetween(copies, 14, undefined)).toEqual([11, 12, 13])
  // Rotated three times since the last look: the two copies between, not the one read, not the one held.
  expect(copiesBetween(copies, 15, 12)).toEqual([13, 14])
  // Once, and the new file already rotated too before the copies were listed.
  expect(copiesBetween(copies, 14, 13)).toEqual([])
  // The file read before was rotated out: everything kept that is older than the new one.
  expect(copiesBetween(copies, 15, 9)).toEqual([11, 12, 13, 14])
  // Nothing was read before and nothing is held.
  expect(copiesBetween([], undefined, undefined)).toEqual([])
  expect(copiesBetween(copies, undefined, undefined)).toEqual([11, 12, 13, 14])
  // An order that cannot be (the one read before newer than the one held): nothing twice.
  expect(copiesBetween(copies, 12, 14)).toEqual([])
})
