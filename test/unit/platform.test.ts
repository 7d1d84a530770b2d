import { afterEach, expect, test } from 'bun:test'
import { WorkspaceError } from '../../src/errors.ts'
import { platformSupported, requireSupportedPlatform } from '../../src/os/platform.ts'

const real = process.platform
afterEach(() => Object.defineProperty(process, 'platform', { value: real }))

test('a platform without /proc is refused in one line before anything is done; Linux is not', () => {
  expect(platformSupported()).toBe(real === 'linux')
  Object.defineProperty(process, 'platform', { value: 'darwin' })
  expect(platformSupported()).toBe(false)
  expect(() => requireSupportedPlatform('start')).toThrow(WorkspaceError)
  expect(() => requireSupportedPlatform('start')).toThrow('`start` needs Linux (bun-pm finds, times and stops processes through /proc); this is darwin: run it in a Linux container or VM (`explain` works anywhere)')
})
