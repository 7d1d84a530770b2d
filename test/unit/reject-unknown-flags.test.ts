import { describe, expect, test } from 'bun:test'
import { flagProblem } from '../../src/commands/reject-unknown-flags.ts'
import { depsArg, jsonArg, selectionArgs } from '../../src/commands/_shared.ts'

describe('flags', () => {
  const args = { ...selectionArgs, ...depsArg, ...jsonArg }
  const npx = (line: string) => `npx bun-pm ${line}`

  test('known flags, values in either form, and --no-<boolean> pass', () => {
    expect(flagProblem(['--workers=a,b', '--group', 'g', '--no-deps', '--json', '--cwd', '/x'], args, 'start', npx)).toBeUndefined()
    expect(flagProblem(['--', 'anything'], args, 'start', npx)).toBeUndefined()
  })

  test('an unknown flag suggests the closest; a stray word says how to select workers', () => {
    expect(flagProblem(['--grup=g'], args, 'start', npx)).toBe('unknown flag --grup (did you mean "group"?) for `start`; run `npx bun-pm start --help` for its flags')
    expect(flagProblem(['web'], args, 'dev', npx)).toBe('`dev` takes no argument "web"; to select workers write --workers=web')
    expect(flagProblem(['--json', 'web'], args, 'dev', npx)).toBe('`dev` takes no argument "web"; to select workers write --workers=web')
  })
})

describe('positional arguments', () => {
  const args = { shell: { type: 'positional', required: true }, ...jsonArg } as const

  test('a command takes as many words as it has positionals, and no more', () => {
    expect(flagProblem(['bash'], args, 'completion', line => `npx bun-pm ${line}`)).toBeUndefined()
    expect(flagProblem(['bash', 'zsh'], args, 'completion', line => `npx bun-pm ${line}`)).toBe('`completion` takes no argument "zsh"; to select workers write --workers=zsh')
  })
})
