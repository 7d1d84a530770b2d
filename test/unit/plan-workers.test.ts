import { describe, expect, test } from 'bun:test'
import { planWorkers } from '../../src/plan/plan-workers.ts'
import type { Disk } from '../../src/plan/disk.ts'
import { modeOptions, SCRIPT_KEY, WORKER_ENTRY } from '../../src/plan/mode-options.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'
import { PLAN_HASH_KEY } from '../../src/model/version.ts'
import type { LoadedWorker, LoadedWorkspace } from '../../src/config/load.ts'
import type { Mode } from '../../src/types/config.ts'

/** A disk where only `files` and `folders` exist, interpreters live in /bin, and code is its script's name. */
function disk(files: string[], folders: string[] = [], code = 'c1'): Disk {
  return {
    isFile: path => files.includes(path),
    isFolder: path => folders.includes(path),
    interpreter: name => `/bin/${name}`,
    program: name => name.includes('/') ? name : `/usr/bin/${name}`,
    code: script => ({ digest: `${code}:${script}`, files: [script], lockfile: undefined }),
  }
}
const worker = (over: Partial<LoadedWorker> = {}): LoadedWorker => ({
  name: 'web', group: 'primary', activated: true, health: toHealthPolicy(undefined, {}), dependsOn: [], replicas: 1,
  interpreter: 'bun', scripts: { bun: 'workers/web.ts' }, options: {}, env: { PORT: { value: '3000', source: '.env' } }, ...over,
})
const workspace = (mode: Mode, w: LoadedWorker): LoadedWorkspace => ({ root: '/app', configFile: '/app/pm.config.ts', configLabel: 'pm.config.ts', namespace: 'shop', mode, envName: mode === 'dev' ? 'development' : 'production', rules: { names: new Set() }, workers: [w] })
const plan = (mode: Mode, w: LoadedWorker, d: Disk) => planWorkers(workspace(mode, w), [w], d)[0]!

describe('what PM2 is handed for a worker', () => {
  test('a bun worker runs through bun-pm\'s entry with its script in the env, --no-env-file first and nothing preloaded (the entry does it all); a crash backs off', () => {
    const p = plan('start', worker(), disk(['/app/workers/web.ts']))
    expect(p.startOptions).toMatchObject({ name: 'web', script: WORKER_ENTRY, interpreter: '/bin/bun', cwd: '/app', namespace: 'shop', exec_mode: 'fork', exp_backoff_restart_delay: 100, pmx: false })
    expect(p.startOptions.interpreter_args).toEqual(['--no-env-file'])
    expect(p.startOptions.env).toMatchObject({ PORT: '3000', [SCRIPT_KEY]: '/app/workers/web.ts' })
    expect(p.startOptions.env![PLAN_HASH_KEY]).toBe(p.hash)
  })

  test('start counts the code in the version, dev does not (its watch restarts on an edit)', () => {
    const d = (code: string) => disk(['/app/workers/web.ts'], [], code)
    expect(plan('start', worker(), d('a')).hash).not.toBe(plan('start', worker(), d('b')).hash)
    expect(plan('dev', worker(), d('a')).hash).toBe(plan('dev', worker(), d('b')).hash)
    expect(plan('dev', worker(), d('a')).parts.code).toBeUndefined()
  })

  test('a missing script says how to get it; a cwd that is no folder is an error; instances become a count', () => {
    expect(() => plan('start', worker({ scripts: { bun: 'dist/web.js' } }), disk([]))).toThrow('pm.config.ts: worker "web": bun script "dist/web.js" does not exist (/app/dist/web.js); run `bun run build` first')
    expect(() => plan('start', worker(), disk([]))).toThrow('; fix the path (it is relative to the workspace root)')
    expect(() => plan('start', worker({ options: { cwd: 'nope' } }), disk(['/app/workers/web.ts']))).toThrow('`cwd` "nope" is no folder (/app/nope)')
    expect(() => plan('start', worker({ interpreter: 'node' }), disk([]))).toThrow('runs under node but has no `node` script; add `node: \'path/to/script\'` or set `options.interpreter` to \'bun\'')
    const replicas = plan('start', worker({ replicas: 4, options: { instances: 'max' } }), disk(['/app/workers/web.ts']))
    expect(replicas.startOptions.instances).toBe(4)
    // A delay of the user's own turns the back-off off; so does a worker PM2 never restarts.
    expect(plan('start', worker({ options: { restart_delay: 500 } }), disk(['/app/workers/web.ts'])).startOptions.exp_backoff_restart_delay).toBeUndefined()
    expect(plan('start', worker({ options: { autorestart: false } }), disk(['/app/workers/web.ts'])).startOptions.exp_backoff_restart_delay).toBeUndefined()
  })
})

describe('what dev adds', () => {
  test('a node worker watches the files its script imports (not its folder); a new import is a new watch list, so a new version', () => {
    const node = worker({ interpreter: 'node', scripts: { node: 'srv/server.js' } })
    const files = (list: string[]): Disk => ({ ...disk(['/app/srv/server.js']), code: script => ({ digest: 'same', files: [script, ...list], lockfile: undefined }) })
    const before = plan('dev', node, files(['/app/srv/db.js']))
    expect(before.startOptions.watch).toEqual(['/app/srv/server.js', '/app/srv/db.js'])
    expect(before.watchedCode).toEqual(['/app/srv/server.js', '/app/srv/db.js'])
    expect(plan('start', node, files(['/app/srv/db.js'])).watchedCode).toBeUndefined()
    expect(plan('dev', node, files(['/app/srv/db.js'])).hash).toBe(before.hash)
    expect(plan('dev', node, files(['/app/srv/db.js', '/app/lib/cache.js'])).hash).not.toBe(before.hash)
    // A bun worker under bun --watch: bun follows its imports itself, and its code is never read.
    const unread: Disk = { ...disk(['/app/workers/web.ts']), code: () => { throw new Error('read') } }
    const bun = plan('dev', worker(), unread)
    expect([bun.startOptions.watch, 'watchedCode' in bun]).toEqual([false, false])
  })

  const w = (over: Partial<LoadedWorker> = {}) => worker(over)
  test('bun under bun --watch by default; PM2\'s watcher on the script\'s own code, or the watch paths, for the rest; watch: false is off', () => {
    expect(modeOptions('dev', w(), '/app/workers/web.ts', '/app', [])).toEqual({ pmx: false, interpreter_args: ['--watch', '--no-clear-screen'], watch: false })
    const code = () => ['/app/workers/web.js', '/app/lib/db.js']
    expect(modeOptions('dev', w({ interpreter: 'node' }), '/app/workers/web.js', '/app', [], code)).toEqual({ pmx: false, interpreter_args: [], watch: ['/app/workers/web.js', '/app/lib/db.js'], ignore_watch: [] })
    expect(modeOptions('dev', w({ options: { watch: true, ignore_watch: ['*.json'] } }), '/app/workers/web.ts', '/app', [], code)).toMatchObject({ watch: ['/app/workers/web.js', '/app/lib/db.js'], ignore_watch: ['*.json'] })
    expect(modeOptions('dev', w({ options: { watch: ['src'], ignore_watch: ['tmp'] } }), '/app/workers/web.ts', '/app', [])).toMatchObject({ watch: ['/app/src'], ignore_watch: ['tmp', 'node_modules', 'dist', '.git', '.pm2', '*.log'] })
    expect(modeOptions('dev', w({ options: { watch: false } }), '/app/workers/web.ts', '/app', ['--smol'])).toEqual({ pmx: false, interpreter_args: ['--smol'], watch: false })
    expect(modeOptions('start', w({ options: { pmx: true } }), '/app/workers/web.ts', '/app', [])).toEqual({ pmx: true, interpreter_args: [] })
  })
})
