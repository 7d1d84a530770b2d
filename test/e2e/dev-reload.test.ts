import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { isAlive } from '../../src/os/processes.ts'
import { fetchText, fetchUntil, fixture, freePort, sessionWorkers, startDev, stopDev, stopLeftoverRuns, workerPids } from '../helpers/dev-session.ts'
import { listenersOn } from '../helpers/net.ts'
import { IMPORT_DEFINE, makeWorkspace, type TempWorkspace } from '../helpers/workspace.ts'

const made: TempWorkspace[] = []
afterEach(stopLeftoverRuns)
afterAll(() => made.forEach(ws => ws.remove()))

const config = (workers: string) => `${IMPORT_DEFINE}export default defineWorkspace({ workers: [${workers}] })\n`
const web = (port: number, reply = 'hello') => `{ name: 'web', bun: 'web.ts', options: { env: { PORT: '${port}', REPLY: '${reply}' } } }`
const tick = `{ name: 'tick', bun: 'tick.ts' }`
const other = `{ name: 'other', bun: 'other.ts' }`

function workspace(workers: string): TempWorkspace {
  const ws = makeWorkspace({
    'web.ts': fixture('serve.ts'),
    'tick.ts': fixture('forever.ts'),
    'other.ts': fixture('forever.ts'),
    'pm.config.ts': config(workers),
  })
  made.push(ws)
  return ws
}


describe('dev: reloads', () => {
  test('editing one worker reloads that worker only, once, in place', async () => {
    const port = freePort()
    const ws = workspace(`${web(port)}, ${tick}`)
    const dev = startDev(ws.root)
    await dev.waitFor(/2 workers up/)
    const before = workerPids(dev.output())
    const mark = dev.output().length
    // One save as editors do it, several writes back to back (truncate, write, write again):
    // one reload. Saves some ms apart are separate reloads: bun's watcher decides, not us.
    const edited = fixture('serve.ts').replace('process.env.REPLY ?? \'hello\'', '\'edited\'')
    for (let i = 0; i < 3; i++)
      writeFileSync(join(ws.root, 'web.ts'), edited)
    await dev.waitFor(/web reloaded its code/, { from: mark })
    expect(await fetchUntil(port, 'edited')).toBe(`edited ${before.get('web')}`)
    // A negative needs a window: no event says "no second reload". bun's watcher would reload
    // again within milliseconds of the first; this is the quiet spell in which it would show.
    await Bun.sleep(800)
    const after = dev.output().slice(mark)
    expect(after.match(/web reloaded its code/g)).toHaveLength(1)
    expect(after).not.toContain('tick reloaded')
    expect(after).not.toMatch(/tick (started|restarted|stopped)/)
    expect(isAlive(before.get('tick')!)).toBe(true)
    await stopDev(dev)
  }, 30_000)

  test('editing pm.config.ts reloads the launcher: new worker starts, removed one stops, changed one restarts, unchanged one keeps its pid', async () => {
    const port = freePort()
    const ws = workspace(`${web(port)}, ${tick}, ${other}`)
    const dev = startDev(ws.root, [], { watch: true })
    await dev.waitFor(/3 workers up/)
    const before = workerPids(dev.output())
    const mark = dev.output().length
    ws.write('pm.config.ts', config(`${web(port, 'changed')}, ${tick}, { name: 'added', bun: 'other.ts' }`))
    await dev.waitFor(/the launcher reloaded/, { from: mark })
    await dev.waitFor(/up in \d+ ms \(1 started, 1 restarted, 1 stopped, 1 unchanged\)/, { from: mark })
    const after = workerPids(dev.output())
    expect(after.get('tick')).toBe(before.get('tick')!)
    expect(after.get('web')).not.toBe(before.get('web')!)
    expect(isAlive(before.get('other')!)).toBe(false)
    expect(isAlive(after.get('added')!)).toBe(true)
    expect(await fetchUntil(port, 'changed')).toBe(`changed ${after.get('web')}`)
    expect(dev.output()).not.toContain('EADDRINUSE')
    expect(await stopDev(dev)).toBe(130)
  }, 30_000)

  test('without bun --watch (the bun-pm binary), a config edit restarts only what changed', async () => {
    const port = freePort()
    const ws = workspace(`${web(port)}, ${tick}`)
    const dev = startDev(ws.root)
    await dev.waitFor(/2 workers up/)
    await dev.waitFor(/tick started/)
    const before = workerPids(dev.output())
    const mark = dev.output().length
    ws.write('pm.config.ts', config(`${web(port, 'changed')}, ${tick}`))
    await dev.waitFor(/up in \d+ ms \(1 restarted, 1 unchanged\)/, { from: mark })
    expect(workerPids(dev.output()).get('tick')).toBe(before.get('tick')!)
    expect(await fetchUntil(port, 'changed')).toStartWith('changed ')
    await stopDev(dev)
  }, 30_000)

  test('ten config reloads in a row: no duplicate, no EADDRINUSE, one process on the port', async () => {
    const port = freePort()
    const ws = workspace(`${web(port)}, ${tick}`)
    const dev = startDev(ws.root, [], { watch: true })
    await dev.waitFor(/2 workers up/)
    for (let i = 1; i <= 10; i++) {
      ws.write('pm.config.ts', config(`${web(port, `v${i}`)}, ${tick}`))
      await Bun.sleep(150)
    }
    // bun may fold saves that come close together into one reload; the last one always counts.
    expect(await fetchUntil(port, 'v10 ', 10_000)).toStartWith('v10 ')
    await dev.waitFor(/up in \d+ ms/, { from: dev.output().lastIndexOf('the launcher reloaded') })
    expect(sessionWorkers(ws.root)).toHaveLength(2)
    expect(listenersOn(port)).toBe(1)
    expect(dev.output()).not.toContain('EADDRINUSE')
    expect(await stopDev(dev, 'SIGTERM')).toBe(143)
  }, 40_000)

  test('a config edited into an error keeps the workers running; fixing it applies it', async () => {
    const port = freePort()
    const ws = workspace(`${web(port)}`)
    const dev = startDev(ws.root, [], { watch: true })
    await dev.waitFor(/1 worker up/)
    const pid = workerPids(dev.output()).get('web')!
    const mark = dev.output().length
    ws.write('pm.config.ts', config(`${web(port)}, { name: 'web', bun: 'web.ts' }`))
    await dev.waitFor(/used by two workers/, { from: mark })
    await dev.waitFor(/the running workers keep running/, { from: mark })
    ws.write('pm.config.ts', `${config(web(port)).slice(0, -4)}\n`)
    await dev.waitFor(/pm\.config\.ts:\d+:\d+: .*fix the config/, { from: mark })
    expect(isAlive(pid)).toBe(true)
    expect(await fetchText(port)).toBe(`hello ${pid}`)
    ws.write('pm.config.ts', config(web(port, 'fixed')))
    await dev.waitFor(/up in \d+ ms \(1 restarted\)/, { from: mark })
    expect(await fetchUntil(port, 'fixed ')).toStartWith('fixed ')
    await stopDev(dev)
  }, 30_000)

  test('editing .env restarts the workers with the new value', async () => {
    const port = freePort()
    const ws = workspace(`{ name: 'web', bun: 'web.ts', options: { env: { PORT: '${port}' } } }`)
    ws.write('.env', 'REPLY=first\n')
    const dev = startDev(ws.root, [], { watch: true })
    await dev.waitFor(/1 worker up/)
    expect(await fetchUntil(port, 'first ')).toStartWith('first ')
    const mark = dev.output().length
    ws.write('.env', 'REPLY=second\n')
    await dev.waitFor(/up in \d+ ms \(1 restarted\)/, { from: mark })
    expect(await fetchUntil(port, 'second ')).toStartWith('second ')
    await stopDev(dev)
  }, 30_000)
})

describe('dev: crashes and output', () => {
  test('a crash loop ends errored with its last lines; the others keep running; an edit starts it again', async () => {
    const ws = makeWorkspace({ 'crash.ts': fixture('exit-1.ts'), 'tick.ts': fixture('forever.ts') }, {
      config: `{ workers: [{ name: 'crash', bun: 'crash.ts', options: { max_restarts: 3 } }, { name: 'tick', bun: 'tick.ts' }] }`,
    })
    made.push(ws)
    const dev = startDev(ws.root)
    await dev.waitFor(/crash errored: it crashed 3 times in a row/)
    expect(dev.output()).toMatch(/bun-pm +\|   failing on purpose/)
    const tickPid = workerPids(dev.output()).get('tick')!
    expect(isAlive(tickPid)).toBe(true)
    const mark = dev.output().length
    ws.write('crash.ts', 'console.log(\'fixed now\')\nsetInterval(() => {}, 1000)\n')
    await dev.waitFor(/crash restarting: its files changed/, { from: mark })
    await dev.waitFor(/crash +\| fixed now/, { from: mark })
    expect(workerPids(dev.output()).get('tick')).toBe(tickPid)
    await stopDev(dev)
  }, 30_000)

  test('log lines arrive complete, in order, each with its prefix; stderr is marked', async () => {
    const ws = makeWorkspace({ 'many.ts': fixture('many-lines.ts') }, {
      config: `{ workers: [{ name: 'many', bun: 'many.ts', options: { env: { LINES: '3000' } } }] }`,
    })
    made.push(ws)
    const dev = startDev(ws.root)
    await dev.waitFor(/many +\| all lines written/)
    // stderr is a pipe of its own: its last line can come after stdout's marker.
    await dev.waitFor(/many +! line 2990 /)
    // Order holds within a stream; stdout and stderr are two pipes, so not across them.
    for (const [marker, expected] of [['|', (i: number) => i % 10 !== 0], ['!', (i: number) => i % 10 === 0]] as const) {
      const lines = dev.output().split('\n').filter(line => line.startsWith('many ') && line.includes(` ${marker} line `))
      const numbers = Array.from({ length: 3000 }, (_, i) => i).filter(expected)
      expect(lines).toHaveLength(numbers.length)
      const wrong = lines.filter((line, k) => !new RegExp(`^many +\\${marker} line ${numbers[k]} [xy]* end ${numbers[k]}$`).test(line))
      expect(wrong.map(line => line.slice(0, 80))).toEqual([])
    }
    await stopDev(dev)
  }, 30_000)
})

describe('dev: other restarts', () => {
  test('a worker over max_memory_restart is restarted, and the launcher says why', async () => {
    const ws = makeWorkspace({ 'leak.ts': fixture('leak-memory.ts') }, {
      config: `{ workers: [{ name: 'leak', bun: 'leak.ts', options: { max_memory_restart: '80M' } }] }`,
    })
    made.push(ws)
    const dev = startDev(ws.root)
    await dev.waitFor(/1 worker up/)
    await dev.waitFor(/leak restarted \(pid \d+\): memory: \d+ MB over the 80 MB limit/, { timeoutMs: 15_000 })
    await stopDev(dev)
  }, 30_000)

  test('a node worker with a `watch` folder is restarted by PM2 when any file in it changes', async () => {
    const port = freePort()
    // Without `watch` it would watch its own code only (dev-changes.test.ts): the folder is the user's choice.
    const ws = makeWorkspace({ 'srv/server.js': fixture('serve-node.js'), 'srv/data.json': '{}' }, {
      config: `{ workers: [{ name: 'api', node: 'srv/server.js', options: { interpreter: 'node', watch: ['srv'], env: { PORT: '${port}' } } }] }`,
    })
    made.push(ws)
    const dev = startDev(ws.root)
    await dev.waitFor(/1 worker up/)
    const pid = workerPids(dev.output()).get('api')
    expect(await fetchUntil(port, 'node ')).toBe(`node ${pid}`)
    const mark = dev.output().length
    // PM2's watcher says nothing when it is ready: an edit that comes first goes unseen, so the
    // edit is made again (as a person would save again) until the restart shows.
    let edits = 0
    const editing = setInterval(() => ws.write('srv/data.json', `{"changed":${++edits}}`), 2000)
    ws.write('srv/data.json', '{"changed":true}')
    try {
      await dev.waitFor(/api restarted \(pid \d+\): file change: .*data\.json/, { from: mark, timeoutMs: 20_000 })
    }
    finally {
      clearInterval(editing)
    }
    expect(workerPids(dev.output()).get('api')).not.toBe(pid)
    await stopDev(dev)
  }, 30_000)

  test('colors: none with NO_COLOR; names colored with FORCE_COLOR', async () => {
    const ws = makeWorkspace({ 'tick.ts': fixture('forever.ts') }, { config: `{ workers: [{ name: 'tick', bun: 'tick.ts' }] }` })
    made.push(ws)
    const plain = startDev(ws.root)
    await plain.waitFor(/tick +\| forever \d+/)
    expect(plain.output()).not.toContain('\x1B[')
    plain.proc.kill('SIGINT')
    await plain.exited
    const colored = startDev(ws.root, [], { env: { NO_COLOR: '', FORCE_COLOR: '1' } })
    await colored.waitFor(/forever \d+/)
    expect(colored.output()).toContain('\x1B[36mtick  \x1B[0m')
    await stopDev(colored)
  }, 30_000)
})
