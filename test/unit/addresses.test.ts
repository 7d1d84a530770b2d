import { expect, test } from 'bun:test'
import { addressKey, runExitCode, workerAddresses } from '../../src/run/addresses.ts'

test('each worker\'s address from its heartbeat, under a name a shell can use', () => {
  expect(workerAddresses([
    { name: 'api-v2', heartbeat: { kind: 'http', url: 'http://127.0.0.1:3000/health?deep=1' } },
    { name: 'redis', heartbeat: { kind: 'tcp', host: '127.0.0.1', port: 6379 } },
    { name: 'queue', heartbeat: { kind: 'push', everyMs: 1000 } },
    { name: 'cron', heartbeat: { kind: 'none' } },
  ])).toEqual({ BUN_PM_URL_API_V2: 'http://127.0.0.1:3000', BUN_PM_ADDR_REDIS: '127.0.0.1:6379' })
  expect(addressKey('URL', 'web.public')).toBe('BUN_PM_URL_WEB_PUBLIC')
})

test('run exits as the command did; --strict turns a crash under a passing command into a failure', () => {
  expect(runExitCode({ code: 0, crashed: false, strict: true })).toBe(0)
  expect(runExitCode({ code: 3, crashed: true, strict: true })).toBe(3)
  expect(runExitCode({ code: 0, crashed: true, strict: false })).toBe(0)
  expect(runExitCode({ code: 0, crashed: true, strict: true })).toBe(1)
})
