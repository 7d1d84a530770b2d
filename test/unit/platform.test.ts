import { afterEach, expect, test } from 'bun:test'
import { WorkspaceError } from '../../src/errors.ts'
import { chooseBackend } from '../../src/os/backend.ts'
import { platformSupported, requireSupportedPlatform } from '../../src/os/platform.ts'

const real = process.platform
const forced = process.env.BUN_PM_OS
afterEach(() => {
  Object.defineProperty(process, 'platform', { value: real })
  if (forced === undefined)
    delete process.env.BUN_PM_OS
  else
    process.env.BUN_PM_OS = forced
})

test('Windows is refused in one line before anything is done; Linux and macOS are not', () => {
  expect(platformSupported()).toBe(real === 'linux' || real === 'darwin')
  Object.defineProperty(process, 'platform', { value: 'darwin' })
  delete process.env.BUN_PM_OS
  expect(platformSupported()).toBe(true)
  expect(() => requireSupportedPlatform('start')).not.toThrow()
  Object.defineProperty(process, 'platform', { value: 'win32' })
  expect(platformSupported()).toBe(false)
  expect(() => requireSupportedPlatform('start')).toThrow(WorkspaceError)
  expect(() => requireSupportedPlatform('start')).toThrow('`start` needs Linux or macOS (bun-pm finds, times and stops processes through /proc or ps); this is win32: run it in WSL or a Linux container (`explain` works anywhere)')
})

test('a backend is /proc on Linux, ps on macOS; BUN_PM_OS=portable forces ps on Linux, and a wrong value is one line', () => {
  expect(chooseBackend('linux', undefined)).toEqual({ backend: 'proc' })
  expect(chooseBackend('linux', '')).toEqual({ backend: 'proc' })
  expect(chooseBackend('linux', 'portable')).toEqual({ backend: 'portable' })
  expect(chooseBackend('darwin', undefined)).toEqual({ backend: 'portable' })
  expect(chooseBackend('darwin', 'proc')).toEqual({ refused: 'was given BUN_PM_OS=proc, but macOS has no /proc: unset it (bun-pm uses ps and lsof there)' })
  expect(chooseBackend('linux', 'ps')).toEqual({ refused: 'was given BUN_PM_OS=ps: set it to `portable` (ps and lsof) or `proc` (Linux\'s /proc), or unset it' })
  process.env.BUN_PM_OS = 'ps'
  expect(() => requireSupportedPlatform('dev')).toThrow('`dev` was given BUN_PM_OS=ps: set it to `portable` (ps and lsof) or `proc` (Linux\'s /proc), or unset it')
})
