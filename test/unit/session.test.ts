import { describe, expect, test } from 'bun:test'
import { isLauncher, parseSession, type SessionFile } from '../../src/dev/session.ts'
import { cmdlineOf, startTime } from '../../src/os/processes.ts'

const session: SessionFile = { root: '/w', token: 'a'.repeat(32), launcherPid: 10, launcherStart: '99', launcherCommand: 'bun src/commands/exec-process.ts dev', watchdogPid: 11, watchdogStart: '100' }

describe('the session file', () => {
  test('a whole session file is read back as it was written', () => {
    expect(parseSession(JSON.stringify(session))).toEqual(session)
    const { launcherCommand: _, watchdogPid: __, watchdogStart: ___, ...older } = session
    expect(parseSession(JSON.stringify(older))).toEqual(older)
  })

  test('anything else is no session: broken JSON, a short token, a pid that is not a number, a command that is not a string', () => {
    expect(parseSession('{"root":')).toBeUndefined()
    expect(parseSession('null')).toBeUndefined()
    expect(parseSession(JSON.stringify({ ...session, token: 'abc' }))).toBeUndefined()
    expect(parseSession(JSON.stringify({ ...session, launcherPid: '10' }))).toBeUndefined()
    expect(parseSession(JSON.stringify({ ...session, launcherCommand: 5 }))).toBeUndefined()
    expect(parseSession(JSON.stringify({ ...session, watchdogStart: 1 }))).toBeUndefined()
  })

  test('a launcher is the process that wrote the file: same pid, start time and command line, whatever its command says', () => {
    const me = { launcherPid: process.pid, launcherStart: startTime(process.pid)! }
    expect(isLauncher({ ...session, ...me, launcherCommand: cmdlineOf(process.pid) })).toBe(true)
    // This test runner is no launcher, though its pid and start time match.
    expect(isLauncher({ ...session, ...me, launcherCommand: 'bun src/commands/exec-process.ts dev' })).toBe(false)
    expect(isLauncher({ ...session, ...me, launcherStart: '1' })).toBe(false)
    // A file that names no command line names no launcher, even of a live process of this user.
    expect(isLauncher({ ...session, ...me, launcherCommand: undefined })).toBe(false)
  })
})
