import { describe, expect, test } from 'bun:test'
import { commandAs, decideInvocation, type InvocationFacts, runnerOf, scriptLine } from '../../src/invocation.ts'

// The scripts of this repository's package.json that run bun-pm, and of a user's project that has its own `start`.
const REPO_SCRIPTS = {
  dev: 'bun --no-env-file --watch --watch-kill-signal=SIGUSR2 --no-clear-screen src/commands/exec-process.ts dev',
  start: 'bun --no-env-file dist/commands/exec-process.js start',
  build: 'rm -rf dist.new && bun build src/commands/exec-process.ts --outdir dist.new',
  status: 'bun --no-env-file src/commands/exec-process.ts status',
  ls: 'bun --no-env-file src/commands/exec-process.ts status',
  stop: 'bun --no-env-file src/commands/exec-process.ts stop',
}
const USER_SCRIPTS = { start: 'node server.js', dev: 'bun-pm dev', up: 'bun-pm start --attach', 'pm:status': 'bun-pm status' }

const NPM = 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false'
const BUN = 'bun/1.4.5 npm/? node/v26.3.0 linux x64'
const facts = (over: Partial<InvocationFacts>): InvocationFacts => ({ userAgent: undefined, parent: '', event: undefined, script: undefined, scripts: {}, ownScripts: false, installed: false, onPath: false, ...over })
const as = (over: Partial<InvocationFacts>, command: string) => commandAs(decideInvocation(facts(over)), command)

describe('hints name a bun-pm command as the user runs it', () => {
  test('in this repository, under its package scripts: bun start, bun dev, bun run status; npm\'s forms under npm', () => {
    const bun = { userAgent: BUN, event: 'start', script: REPO_SCRIPTS.start, scripts: REPO_SCRIPTS, ownScripts: true }
    expect(as(bun, 'start')).toBe('bun start')
    expect(as(bun, 'dev')).toBe('bun dev')
    expect(as(bun, 'status --json')).toBe('bun run status --json')
    expect(as(bun, 'stop --workers=web')).toBe('bun run stop --workers=web')
    // No script for it: the binary, as a checkout of bun-pm has no node_modules/.bin/bun-pm.
    expect(as(bun, 'run -- bun test')).toBe('bun-pm run -- bun test')
    // `npx bun run status`: bun keeps npx's user agent, but bun ran the script.
    expect(as({ ...bun, userAgent: NPM, parent: '/repo/node_modules/.bin/bun', event: 'status', script: REPO_SCRIPTS.status }, 'stop')).toBe('bun run stop')
    const npm = { ...bun, userAgent: NPM, parent: 'sh', event: 'status', script: REPO_SCRIPTS.status }
    expect(as(npm, 'start --workers=web')).toBe('npm start -- --workers=web')
    expect(as(npm, 'dev')).toBe('npm run dev')
    expect(as(npm, 'logs')).toBe('bun-pm logs')
  })

  test('in a user\'s project: npx bun-pm (or bunx), never `bun start` where start is the project\'s own script', () => {
    expect(as({ userAgent: NPM, event: 'npx', script: '\'bun-pm\' \'status\'', scripts: USER_SCRIPTS, installed: true }, 'start')).toBe('npx bun-pm start')
    expect(as({ userAgent: BUN, event: 'bunx', script: 'bun-pm', scripts: USER_SCRIPTS, installed: true }, 'logs')).toBe('bunx bun-pm logs')
    // Through a script of theirs: a script that runs exactly that command, else the runner's exec.
    const script = { userAgent: NPM, event: 'dev', script: 'bun-pm dev', scripts: USER_SCRIPTS, installed: true }
    expect(as(script, 'dev')).toBe('npm run dev')
    expect(as(script, 'status --json')).toBe('npm run pm:status -- --json')
    expect(as(script, 'start')).toBe('npx bun-pm start')
    expect(as({ ...script, userAgent: BUN }, 'start')).toBe('bunx bun-pm start')
    expect(as({ ...script, userAgent: 'pnpm/9.1.0 npm/? node/v20' }, 'stop')).toBe('pnpm exec bun-pm stop')
    // Run by its path in node_modules/.bin, outside any package manager.
    expect(as({ installed: true }, 'start')).toBe('npx bun-pm start')
  })

  test('the binary when it is on the PATH, or from a checkout; a package manager\'s inherited variables count only when it ran bun-pm', () => {
    expect(as({ installed: true, onPath: true }, 'start')).toBe('bun-pm start')
    expect(as({}, 'logs')).toBe('bun-pm logs')
    // `npx bun test` (or `bun run test`) above a test that runs the CLI: not a way to run bun-pm.
    expect(as({ userAgent: NPM, event: 'npx', script: '\'bun\' \'test\'', scripts: REPO_SCRIPTS }, 'start')).toBe('bun-pm start')
    expect(as({ userAgent: BUN, event: 'test', script: 'bun test --parallel=3', scripts: REPO_SCRIPTS, installed: true, onPath: true }, 'start')).toBe('bun-pm start')
    // An unknown package manager: as if none.
    expect(as({ userAgent: 'deno/2.0', event: 'start', script: 'bun-pm start', installed: true }, 'start')).toBe('npx bun-pm start')
  })

  test('a package script of the project (the prestart build check, a worker built into dist/)', () => {
    expect(runnerOf({ userAgent: NPM, parent: 'sh', event: 'prestart' })).toBe('npm')
    expect(runnerOf({ userAgent: BUN, parent: '/usr/bin/bun', event: 'prestart' })).toBe('bun')
    // `npx bun start`: npx's user agent, bun's prestart.
    expect(runnerOf({ userAgent: NPM, parent: '/repo/node_modules/.bin/bun', event: 'prestart' })).toBe('bun')
    expect(runnerOf({ userAgent: undefined, parent: 'bash', event: undefined })).toBeUndefined()
    expect(scriptLine('bun', 'build', '')).toBe('bun run build')
    expect(scriptLine('npm', 'build', '')).toBe('npm run build')
    expect(scriptLine('npm', 'start', '')).toBe('npm start')
    expect(scriptLine('yarn', 'status', '--json')).toBe('yarn run status --json')
  })
})
