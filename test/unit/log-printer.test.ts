import { expect, test } from 'bun:test'
import { createLogPrinter } from '../../src/report/log-printer.ts'
import type { DevJsonLine } from '../../src/types/json.ts'

function printer(json: boolean) {
  const out: string[] = []
  const p = createLogPrinter({ names: ['web', 'web#1'], color: false, json, write: text => void out.push(text) })
  return { p, text: () => out.join('') }
}

test('text: each line prefixed with its unit; a halt\'s last lines indented below bun-pm\'s line', () => {
  const { p, text } = printer(false)
  p.chunk('web#1', 'err', 'boom\npartial')
  p.flush('web#1')
  p.info('web errored: it crashed. Its last lines:', { event: 'errored', worker: 'web', unit: 'web', lastLines: ['a', 'b'] })
  expect(text()).toBe('web#1  ! boom\nweb#1  ! partial\nbun-pm | web errored: it crashed. Its last lines:\nbun-pm |   a\nbun-pm |   b\n')
})

test('json: one object a line, workers\' lines as logs --json prints them, bun-pm\'s with their event (message when none)', () => {
  const { p, text } = printer(true)
  p.chunk('web#1', 'out', 'hello "you"\n')
  p.info('web started (pid 7)', { event: 'started', worker: 'web', unit: 'web', pid: 7 })
  p.info('config changed, applying it')
  const lines = text().trimEnd().split('\n').map(line => JSON.parse(line) as DevJsonLine)
  expect(lines.map(({ time, ...rest }) => rest as Record<string, unknown>)).toEqual([
    { worker: 'web', unit: 'web#1', stream: 'out', text: 'hello "you"' },
    { event: 'started', worker: 'web', unit: 'web', pid: 7, text: 'web started (pid 7)' },
    { event: 'message', text: 'config changed, applying it' },
  ])
  expect(lines.every(line => new Date(line.time!).toISOString() === line.time)).toBe(true)
  expect(p.lastLines('web#1')).toEqual(['hello "you"'])
})
