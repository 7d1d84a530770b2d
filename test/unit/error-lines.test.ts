import { expect, test } from 'bun:test'
import { faultDetails, faultLine, isMistake, mistakeLine } from '../../src/commands/error-lines.ts'
import { WorkspaceError } from '../../src/errors.ts'

test('a mistake of the user\'s is one line; an unknown command gets the closest name and the list', () => {
  const config = new WorkspaceError('pm.config.ts: worker "web": fix it')
  const unknown = Object.assign(new Error('Unknown command `strat`'), { name: 'CLIError', code: 'E_UNKNOWN_COMMAND' })
  expect([isMistake(config), isMistake(unknown), isMistake(new TypeError('x')), isMistake('text')]).toEqual([true, true, false, false])
  expect(mistakeLine(config, ['dev', 'start'])).toBe('error: pm.config.ts: worker "web": fix it')
  expect(mistakeLine(unknown, ['dev', 'start', 'status'])).toBe('error: Unknown command `strat` (did you mean "start"?); the commands are dev, start, status')
})

test('a fault says it is not the config\'s, in one line, and where its stack went', () => {
  const fault = new Error('connect ECONNREFUSED /home/me/.pm2/rpc.sock\n    at somewhere')
  expect(faultLine(fault, '/home/me/.cache/bun-pm/errors/x.log')).toBe('error: connect ECONNREFUSED /home/me/.pm2/rpc.sock (not a mistake in your config: bun-pm or PM2 failed; the details are in /home/me/.cache/bun-pm/errors/x.log)')
  expect(faultLine('a string', undefined)).toBe('error: a string (not a mistake in your config: bun-pm or PM2 failed)')
  const details = faultDetails(Object.assign(new Error('outer'), { cause: new Error('inner') }), ['start', '--json'])
  expect(details).toStartWith('bun-pm start --json\nError: outer\n')
  expect(details).toContain('\ncause: Error: inner')
})
