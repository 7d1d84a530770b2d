import { expect, test } from 'bun:test'
import { exitEvent, exitLine, haltLines, onlineEvent, onlineLine, reloadLine } from '../../src/report/event-lines.ts'

test('online: started the first time and when asked for; restarted, and why, when it ran before on its own or for a known reason', () => {
  expect(onlineLine('web', 10, { ranBefore: false, expected: false, reason: undefined })).toBe('web started (pid 10)')
  expect(onlineLine('web', 11, { ranBefore: true, expected: true, reason: undefined })).toBe('web started (pid 11)')
  expect(onlineLine('web', 12, { ranBefore: true, expected: false, reason: undefined })).toBe('web restarted (pid 12): after it exited')
  expect(onlineLine('web#1', null, { ranBefore: true, expected: true, reason: 'over max_memory_restart (120 MB > 100 MB)' })).toBe('web#1 restarted: over max_memory_restart (120 MB > 100 MB)')
})

test('exit: stopped when asked for, exited with its code when not; once, and not before a restart line that says why', () => {
  expect(exitLine('web', 1, { expected: false, reasonKnown: false, saidAlready: false })).toBe('web exited (code 1)')
  expect(exitLine('web', 'SIGKILL', { expected: false, reasonKnown: false, saidAlready: false })).toBe('web was killed by SIGKILL')
  expect(exitLine('web', null, { expected: true, reasonKnown: false, saidAlready: false })).toBe('web stopped')
  expect(exitLine('web', 0, { expected: true, reasonKnown: true, saidAlready: false })).toBeUndefined()
  expect(exitLine('web', 0, { expected: true, reasonKnown: false, saidAlready: true })).toBeUndefined()
})

test('a reload in place is the same pid loading code again', () => {
  expect(reloadLine('web', 10, 10)).toBe('web reloaded its code (file change)')
  expect([reloadLine('web', undefined, 10), reloadLine('web', 9, 10)]).toEqual([undefined, undefined])
})

test('a halt: the others keep running, how it runs again, its last lines, but not after a startup error printed just above', () => {
  const errored = { name: 'web', kind: 'errored' as const, text: 'web errored: it crashed 5 times in a row', at: 0 }
  expect(haltLines(errored, { retries: true, lastLines: ['boom'] })).toEqual(['web errored: it crashed 5 times in a row. The other workers keep running; edit its files to start it again. Its last lines:', '  boom'])
  expect(haltLines({ ...errored, kind: 'exited', text: 'job exited (code 1)' }, { retries: true, lastLines: [] })).toEqual(['job exited (code 1). The other workers keep running; edit its files to run it again.'])
  expect(haltLines({ ...errored, kind: 'failed', text: 'web failed at startup: x' }, { retries: true, lastLines: ['x'] })).toEqual(['web failed at startup: x. The other workers keep running.'])
  expect(haltLines(errored, { retries: false, lastLines: [] })).toEqual(['web errored: it crashed 5 times in a row. The other workers keep running.'])
})

test('the same facts as data for dev --json: the event, and the reason a restart or an exit has', () => {
  expect(onlineEvent('web', 12, { ranBefore: true, expected: false, reason: undefined })).toEqual({ event: 'restarted', reason: 'after it exited', text: 'web restarted (pid 12): after it exited' })
  expect(onlineEvent('web', 10, { ranBefore: false, expected: false, reason: undefined })).toEqual({ event: 'started', text: 'web started (pid 10)' })
  expect(exitEvent('web', 'SIGKILL', { expected: false, reasonKnown: false, saidAlready: false })).toEqual({ event: 'exited', reason: 'SIGKILL', text: 'web was killed by SIGKILL' })
  expect(exitEvent('web', 1, { expected: false, reasonKnown: false, saidAlready: false })).toEqual({ event: 'exited', reason: 'code 1', text: 'web exited (code 1)' })
  expect(exitEvent('web', null, { expected: true, reasonKnown: false, saidAlready: false })).toEqual({ event: 'stopped', text: 'web stopped' })
})
