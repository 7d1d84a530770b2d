import { describe, expect, test } from 'bun:test'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pm2Rules } from '../../src/pm2/schema.ts'
import { applyOverrides } from '../../src/config/overrides.ts'
import { validateWorkspace } from '../../src/config/validate.ts'
import { planWorkers } from '../../src/plan/plan-workers.ts'
import type { Disk } from '../../src/plan/disk.ts'
import { modeOptions } from '../../src/plan/mode-options.ts'
import { resolveProgram, requireProgram } from '../../src/plan/interpreter.ts'
import { commandWords, formatCommand } from '../../src/model/command.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'
import { toExportModel } from '../../src/export/model.ts'
import { containerCommand, commonNotes } from '../../src/export/shared.ts'
import { renderSystemd } from '../../src/export/systemd.ts'
import { renderPm2 } from '../../src/export/pm2.ts'
import type { LoadedWorker, LoadedWorkspace } from '../../src/config/load.ts'
import type { Mode } from '../../src/types/config.ts'

const validate = (workers: unknown[], defaults?: unknown) => validateWorkspace({ ...(defaults ? { defaults } : {}), workers }, 'pm.config.ts', pm2Rules())

describe('a cmd worker in the config', () => {
  test('a program with its arguments, or a command line, is a worker', () => {
    expect(() => validate([{ name: 'redis', cmd: ['redis-server', '--port', '6380'], heartbeat: 'tcp://127.0.0.1:6380' }])).not.toThrow()
    expect(() => validate([{ name: 'jobs', cmd: 'PORT=5100 npm run jobs', options: { env: { A: '1' }, max_memory_restart: '1G' } }])).not.toThrow()
    // '' in a script field is "none" (every field written out): not a second program.
    expect(() => validate([{ name: 'redis', cmd: ['redis-server'], bun: '' }])).not.toThrow()
  })

  test('each mistake is one line naming the file, the worker and the fix', () => {
    expect(() => validate([{ name: 'redis', cmd: [] }])).toThrow('pm.config.ts: worker "redis": `cmd` an array is no command (an array of strings, the program first); write a command line such as \'redis-server --port 6380\', or the program and its arguments such as [\'redis-server\', \'--port\', \'6380\']')
    expect(() => validate([{ name: 'redis', cmd: '  ' }])).toThrow('worker "redis": `cmd` "  " is no command; write a command line')
    expect(() => validate([{ name: 'redis', cmd: ['redis-server', 6380] }])).toThrow('worker "redis": `cmd` an array is no command')
    expect(() => validate([{ name: 'redis', cmd: 3 }])).toThrow('worker "redis": `cmd` 3 is no command')
    expect(() => validate([{ name: 'web', cmd: ['x'], bun: 'web.ts' }])).toThrow('pm.config.ts: worker "web" has both `cmd` and `bun`; keep one: `cmd` runs a program, `bun` a script')
    expect(() => validate([{ name: 'redis', cmd: ['redis-server'], options: { interpreter: 'node' } }])).toThrow('worker "redis": `options.interpreter` does not apply to a `cmd` worker (the first word of `cmd` is its program); remove it')
    expect(() => validate([{ name: 'redis', cmd: ['redis-server'], options: { args: ['--port', '1'] } }])).toThrow('worker "redis": `options.args` does not apply to a `cmd` worker; put the arguments in `cmd` itself')
    expect(() => validate([{ name: 'redis', cmd: ['redis-server'], options: { interpreter_args: ['-x'] } }])).toThrow('`options.interpreter_args` does not apply to a `cmd` worker')
    expect(() => validate([{ name: 'redis', cmd: ['redis-server'] }], { args: ['-v'] })).toThrow('pm.config.ts: `defaults` sets `args`, which would change the command of worker "redis" (it runs `cmd`); set `args` in the options of the workers that run scripts instead')
    // The interpreter's own options in defaults are the script workers'.
    expect(() => validate([{ name: 'redis', cmd: ['redis-server'] }, { name: 'web', node: 'web.js' }], { interpreter: 'node', node_args: ['--trace-warnings'] })).not.toThrow()
  })

  test('an environment\'s cmd replaces the base one whole', () => {
    const raw = { workers: [{ name: 'redis', cmd: ['redis-server', '--port', '6380'] }], $production: { workers: [{ name: 'redis', cmd: ['redis-server', '--port', '7000'] }] } }
    expect((applyOverrides(raw, 'production') as { workers: { cmd: string[] }[] }).workers[0]!.cmd).toEqual(['redis-server', '--port', '7000'])
  })

  test('its words: an array as it is, a line under /bin/sh -c; shown as typed', () => {
    expect(commandWords(['redis-server', '--port', '6380'])).toEqual(['redis-server', '--port', '6380'])
    expect(commandWords('PORT=5100 npm run jobs')).toEqual(['/bin/sh', '-c', 'PORT=5100 npm run jobs'])
    expect(formatCommand(['/bin/sh', '-c', 'echo $PORT && x'])).toBe('/bin/sh -c \'echo $PORT && x\'')
  })
})

const disk = (programs: Record<string, string>): Disk => ({
  isFile: () => true,
  isFolder: () => true,
  interpreter: name => `/bin/${name}`,
  program: (name, _root, where) => {
    const found = programs[name]
    if (!found)
      throw new Error(`${where}: not found ${name}`)
    return found
  },
  code: () => { throw new Error('a cmd worker has no code to read') },
})
const worker = (over: Partial<LoadedWorker> = {}): LoadedWorker => ({
  name: 'redis', group: 'primary', activated: true, health: toHealthPolicy('tcp://127.0.0.1:6380', {}), dependsOn: [], replicas: 1,
  interpreter: 'cmd', scripts: {}, cmd: ['redis-server', '--port', '6380'], options: { max_memory_restart: '100M' }, env: { REDIS_URL: { value: 'redis://x', source: 'options.env' } }, ...over,
})
const workspace = (mode: Mode, w: LoadedWorker): LoadedWorkspace => ({ root: '/app', configFile: '/app/pm.config.ts', configLabel: 'pm.config.ts', namespace: 'shop', mode, envName: 'production', rules: { names: new Set() }, workers: [w] })
const plan = (mode: Mode, w: LoadedWorker, programs: Record<string, string> = { 'redis-server': '/usr/bin/redis-server', '/bin/sh': '/bin/sh' }) => planWorkers(workspace(mode, w), [w], disk(programs))[0]!

describe('what PM2 is handed for a cmd worker', () => {
  test('its program\'s absolute path as the script, no interpreter, the arguments as args; no entry, no preload, no bun-pm script variable', () => {
    const p = plan('start', worker())
    expect(p.startOptions).toMatchObject({ name: 'redis', script: '/usr/bin/redis-server', interpreter: 'none', args: ['--port', '6380'], cwd: '/app', exec_mode: 'fork', pmx: false })
    expect(p.startOptions.interpreter_args).toBeUndefined()
    expect(Object.keys(p.startOptions.env)).toEqual(['REDIS_URL', 'BUN_PM_PLAN_HASH', 'BUN_PM_PLAN'])
    expect(p.command).toEqual(['/usr/bin/redis-server', '--port', '6380'])
    expect(p.interpreter).toBe('cmd')
  })

  test('a command line runs under /bin/sh -c, which expands $PORT from the worker\'s own environment', () => {
    const p = plan('start', worker({ cmd: 'redis-server --port $PORT' }))
    expect(p.startOptions).toMatchObject({ script: '/bin/sh', interpreter: 'none', args: ['-c', 'redis-server --port $PORT'] })
  })

  test('its version is its command and environment (no code part): the same config keeps it, a new command or variable replaces it', () => {
    const a = plan('start', worker())
    expect(a.parts.code).toBeUndefined()
    expect(plan('start', worker()).hash).toBe(a.hash)
    const other = plan('start', worker({ cmd: ['redis-server', '--port', '6381'] }))
    expect(other.hash).not.toBe(a.hash)
    expect(Object.keys(other.parts).filter(key => other.parts[key] !== a.parts[key])).toEqual(['args'])
    expect(plan('start', worker({ env: { REDIS_URL: { value: 'redis://y', source: 'options.env' } } })).hash).not.toBe(a.hash)
  })

  test('a program that is not found is the plan\'s error, naming the worker', () => {
    expect(() => plan('start', worker(), {})).toThrow('pm.config.ts: worker "redis": not found redis-server')
  })

  test('dev: no watch unless the config sets one (its working folder for watch: true)', () => {
    expect(modeOptions('dev', worker(), '/usr/bin/redis-server', '/app', [])).toEqual({ pmx: false, interpreter_args: [], watch: false })
    expect(modeOptions('dev', worker({ options: { watch: ['conf'] } }), '/usr/bin/redis-server', '/app', [])).toMatchObject({ watch: ['/app/conf'] })
    expect(modeOptions('dev', worker({ options: { watch: true, cwd: 'redis' } }), '/usr/bin/redis-server', '/app', [])).toMatchObject({ watch: ['/app/redis'] })
    expect(plan('dev', worker()).startOptions.watch).toBe(false)
  })
})

describe('finding a cmd worker\'s program', () => {
  test('a path is relative to the root and must be executable; a name comes from node_modules/.bin walking up, then PATH', () => {
    const root = mkdtempSync(join(tmpdir(), 'bun-pm-cmd-'))
    try {
      mkdirSync(join(root, 'app/bin'), { recursive: true })
      mkdirSync(join(root, 'node_modules/.bin'), { recursive: true })
      writeFileSync(join(root, 'app/bin/server'), '#!/bin/sh\n')
      writeFileSync(join(root, 'app/bin/plain'), 'not executable')
      writeFileSync(join(root, 'node_modules/.bin/tool'), '#!/bin/sh\n')
      chmodSync(join(root, 'app/bin/server'), 0o755)
      chmodSync(join(root, 'node_modules/.bin/tool'), 0o755)
      const app = join(root, 'app')
      expect(resolveProgram('./bin/server', app)).toBe(join(app, 'bin/server'))
      expect(resolveProgram('bin/server', app)).toBe(join(app, 'bin/server'))
      expect(resolveProgram('tool', app)).toBe(join(root, 'node_modules/.bin/tool'))
      expect(resolveProgram('sh', app)).toMatch(/\/sh$/)
      expect(() => requireProgram('bin/plain', app, 'pm.config.ts: worker "x"')).toThrow(`pm.config.ts: worker "x": the program of \`cmd\`, "bin/plain", is no executable file (${join(app, 'bin/plain')}); fix the path (it is relative to the workspace root) or make it executable (chmod +x)`)
      expect(() => requireProgram('no-such-program-here', app, 'pm.config.ts: worker "x"')).toThrow(`pm.config.ts: worker "x": the program of \`cmd\`, "no-such-program-here", was not found in ${join(app, 'node_modules/.bin')} or on PATH; install it, or give its path`)
    }
    finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe('exporting a cmd worker', () => {
  const FACTS = { bunVersion: '1.4.5', nodeMajor: 20, fileEnv: {}, findProgram: (p: string) => ({ 'redis-server': '/usr/bin/redis-server', '/bin/sh': '/bin/sh', 'prisma': '/app/node_modules/.bin/prisma', 'bin/server': '/app/bin/server' } as Record<string, string>)[p] }
  const model = (w: LoadedWorker) => toExportModel(workspace('start', w), [w], FACTS)

  test('containers run the command (exec form; a line under /bin/sh -c); a program of the workspace from the image\'s /app', () => {
    expect(containerCommand(model(worker()).workers[0]!)).toEqual(['redis-server', '--port', '6380'])
    expect(containerCommand(model(worker({ cmd: 'redis-server --port $PORT' })).workers[0]!)).toEqual(['/bin/sh', '-c', 'redis-server --port $PORT'])
    expect(containerCommand(model(worker({ cmd: ['prisma', 'studio'] })).workers[0]!)).toEqual(['/app/node_modules/.bin/prisma', 'studio'])
    expect(containerCommand(model(worker({ cmd: ['bin/server'] })).workers[0]!)).toEqual(['/app/bin/server'])
  })

  test('a note where the image may lack the program; none for a program of the workspace', () => {
    const notes = (w: LoadedWorker) => commonNotes(model(w), 'Compose').filter(note => note.startsWith('redis:'))
    expect(notes(worker())).toEqual(['redis: runs redis-server (/usr/bin/redis-server here), which is not in the workspace: the image must have it on its PATH; add its package to the Dockerfile (the generated image is Debian\'s node slim image with bun), or pass --image'])
    expect(notes(worker({ cmd: 'redis-server --port $PORT' }))[0]).toStartWith('redis: runs `redis-server --port $PORT` under /bin/sh -c: every program it names must be in the image')
    expect(notes(worker({ cmd: ['bin/server'] }))).toEqual([])
    expect(commonNotes(model(worker()), 'systemd').filter(note => note.startsWith('redis:'))).toEqual([])
  })

  test('systemd runs the program by its absolute path; $ in a line reaches the shell as it is', () => {
    const unit = (w: LoadedWorker) => renderSystemd(model(w), { interpreters: { bun: '/usr/bin/bun' }, outDir: '/etc/shop' }).files.find(f => f.path === 'shop-redis.service')!.content
    expect(unit(worker())).toContain('\nExecStart=/usr/bin/redis-server --port 6380\n')
    expect(unit(worker({ cmd: 'redis-server --port $PORT' }))).toContain('\nExecStart=/bin/sh -c "redis-server --port $$PORT"\n')
  })

  test('the PM2 file hands PM2 what start does: the program, no interpreter, the arguments', () => {
    const w = worker()
    const planned = planWorkers(workspace('start', w), [w], disk({ 'redis-server': '/usr/bin/redis-server' }))
    const { files } = renderPm2(model(w), { startOptions: new Map(planned.map(p => [p.name, p.startOptions])), fileEnv: {}, outDir: '/app' })
    expect(files[0]!.content).toContain(`script: '/usr/bin/redis-server',\n      interpreter: 'none',`)
    expect(files[0]!.content).toMatch(/args: \[\n\s+'--port',\n\s+'6380',\n\s+\]/)
  })
})
