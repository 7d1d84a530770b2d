// dev restarts only what changed: a config edit that changes no worker's version, a .env edit
// (by the variables each worker receives), PM2's watcher on a node worker's own files (and the
// ones it comes to import), and an errored worker's wait for an edit of its own files.
import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isAlive } from '../../src/os/processes.ts'
import { fetchUntil, fixture, freePort, startDev, stopDev, stopLeftoverRuns, workerPids } from '../helpers/dev-session.ts'
import { IMPORT_DEFINE, makeWorkspace, type TempWorkspace } from '../helpers/workspace.ts'

const made: TempWorkspace[] = []
const folders: string[] = []
afterEach(stopLeftoverRuns)
afterAll(() => {
  made.forEach(ws => ws.remove())
  folders.forEach(folder => rmSync(folder, { recursive: true, force: true }))
})

function scratch(): string {
  const folder = mkdtempSync(join(tmpdir(), 'bun-pm-runs-'))
  folders.push(folder)
  return folder
}

const config = (workers: string, comment = '') => `${IMPORT_DEFINE}${comment}export default defineWorkspace({ workers: [${workers}] })\n`

function workspace(files: Record<string, string>): TempWorkspace {
  const ws = makeWorkspace(files)
  made.push(ws)
  return ws
}

describe('dev: a config edit restarts only what changed', () => {
  test('a comment-only edit of pm.config.ts runs no finished job again (bun or node, in the config\'s folder) and restarts nothing', async () => {
    const port = freePort()
    const ws = workspace({ 'web.ts': fixture('serve.ts'), 'job.ts': fixture('job.ts'), 'seed.js': fixture('job.ts') })
    // Each run of a job adds a line to this file (outside the workspace, where no watcher looks):
    // a count that does not depend on the output.
    const runs = join(scratch(), 'runs.txt')
    const workers = [
      `{ name: 'web', bun: 'web.ts', options: { env: { PORT: '${port}' } } }`,
      `{ name: 'migrate', bun: 'job.ts', options: { autorestart: false, env: { WORK_MS: '100', NAME: 'migrate', ORDER_FILE: '${runs}' } } }`,
      // A node worker is watched by PM2: its script sits beside pm.config.ts.
      `{ name: 'seed', node: 'seed.js', options: { interpreter: 'node', autorestart: false, env: { WORK_MS: '100', NAME: 'seed', ORDER_FILE: '${runs}' } } }`,
    ].join(', ')
    ws.write('pm.config.ts', config(workers))
    const runsOf = (name: string) => existsSync(runs) ? readFileSync(runs, 'utf8').split('\n').filter(line => line.startsWith(`done ${name} `)).length : 0
    const dev = startDev(ws.root, [], { watch: true })
    await dev.waitFor(/3 workers up/)
    const web = workerPids(dev.output()).get('web')!
    const mark = dev.output().length
    // Saves seconds apart, as a person makes them: a watcher of the folder, ready by then, would
    // have run a job again within a second of one of them.
    for (let i = 1; i <= 3; i++) {
      const from = dev.output().length
      ws.write('pm.config.ts', config(workers, `// only a comment ${i}\n`))
      await dev.waitFor(/up in \d+ ms \(3 unchanged\)/, { from })
      await Bun.sleep(1500)
    }
    expect(dev.output().slice(mark).match(/the launcher reloaded/g)).toHaveLength(3)
    expect([runsOf('migrate'), runsOf('seed')]).toEqual([1, 1])
    expect(dev.output().slice(mark)).not.toMatch(/(web|migrate|seed) (started|restarted|stopped|exited)/)
    expect(isAlive(web)).toBe(true)
    expect(workerPids(dev.output()).get('web')).toBe(web)
    // Its own file edited, a job runs again (PM2's watcher: edited again until it shows).
    let edits = 0
    const editing = setInterval(() => ws.write('seed.js', `${fixture('job.ts')}// edit ${++edits}\n`), 2000)
    ws.write('seed.js', `${fixture('job.ts')}// edit\n`)
    try {
      await dev.waitFor(/seed exited \(code 0\)/, { from: mark, timeoutMs: 20_000 })
    }
    finally {
      clearInterval(editing)
    }
    expect(runsOf('seed')).toBeGreaterThan(1)
    expect(runsOf('migrate')).toBe(1)
    await stopDev(dev)
  }, 60_000)
})

describe('dev: .env edits', () => {
  test('a .env edit restarts the workers that receive a changed variable; an unchanged save or a comment restarts none', async () => {
    const port = freePort()
    // `cache` sets REPLY itself: the .env's REPLY never reaches it. A node worker beside .env: PM2 watches it.
    // `redis` (a program of its own) takes nothing of the .env files: no .env edit is its change.
    const workers = `{ name: 'web', bun: 'web.ts', options: { env: { PORT: '${port}' } } }, { name: 'cache', node: 'cache.js', options: { interpreter: 'node', env: { REPLY: 'own' } } }, { name: 'redis', bun: 'redis.ts', options: { dotenv: false } }`
    const ws = workspace({ 'web.ts': fixture('serve.ts'), 'cache.js': fixture('forever.ts'), 'redis.ts': fixture('forever.ts'), 'pm.config.ts': config(workers), '.env': 'REPLY=first\n' })
    const dev = startDev(ws.root, [], { watch: true })
    await dev.waitFor(/3 workers up/)
    const before = workerPids(dev.output())
    expect(await fetchUntil(port, 'first ')).toBe(`first ${before.get('web')}`)
    const mark = dev.output().length
    // Each save, then a quiet spell in which PM2's watcher would restart what watches the folder.
    const save = async (text: string, summary: RegExp) => {
      const from = dev.output().length
      ws.write('.env', text)
      await dev.waitFor(summary, { from })
      await Bun.sleep(1000)
    }
    await save('REPLY=first\n', /up in \d+ ms \(3 unchanged\)/)
    await save('# a comment, and the same value quoted\nREPLY="first"\n', /up in \d+ ms \(3 unchanged\)/)
    expect(dev.output().slice(mark)).not.toMatch(/(web|cache|redis) (started|restarted|stopped)/)
    await save('REPLY=second\n', /up in \d+ ms \(1 restarted, 2 unchanged\)/)
    expect(dev.output().slice(mark)).toMatch(/web started \(pid \d+\)/)
    expect(dev.output().slice(mark)).not.toMatch(/(cache|redis) (started|restarted|stopped)/)
    expect(workerPids(dev.output()).get('cache')).toBe(before.get('cache')!)
    expect(isAlive(before.get('cache')!)).toBe(true)
    expect(await fetchUntil(port, 'second ')).toStartWith('second ')
    // A variable that every worker receives is a change to every worker that receives the files.
    await save('REPLY=second\nLOG_LEVEL=debug\n', /up in \d+ ms \(2 restarted, 1 unchanged\)/)
    expect(workerPids(dev.output()).get('redis')).toBe(before.get('redis')!)
    await stopDev(dev)
  }, 60_000)
})

describe('dev: PM2\'s watcher watches a worker\'s own files', () => {
  test('a node worker restarts for a file its script imports (one it imports since too), not for a bun worker\'s file in the same folder', async () => {
    const port = freePort()
    const server = `const { createServer } = require('node:http')\nconst { reply } = require('./reply.js')\ncreateServer((_req, res) => res.end(\`\${reply} \${process.pid}\`)).listen(Number(process.env.PORT))\nconsole.log('node server up')\n`
    const ws = workspace({
      'srv/server.js': server,
      'srv/reply.js': `exports.reply = 'node'\n`,
      'srv/tick.ts': fixture('forever.ts'),
      'pm.config.ts': config(`{ name: 'api', node: 'srv/server.js', options: { interpreter: 'node', env: { PORT: '${port}' } } }, { name: 'tick', bun: 'srv/tick.ts' }`),
    })
    const dev = startDev(ws.root)
    await dev.waitFor(/2 workers up/)
    const first = workerPids(dev.output()).get('api')!
    expect(await fetchUntil(port, 'node ')).toBe(`node ${first}`)
    let mark = dev.output().length
    // PM2's watcher says nothing when it is ready: an edit that comes first goes unseen, so the
    // edit is made again (as a person would save again) until the restart shows.
    let edits = 0
    const editing = setInterval(() => ws.write('srv/reply.js', `exports.reply = 'edited${++edits}'\n`), 2000)
    ws.write('srv/reply.js', `exports.reply = 'edited'\n`)
    try {
      await dev.waitFor(/api restarted \(pid \d+\): file change: .*reply\.js/, { from: mark, timeoutMs: 20_000 })
    }
    finally {
      clearInterval(editing)
    }
    expect(await fetchUntil(port, 'edited')).toStartWith('edited')
    // The bun worker beside it: its edits reload it, and only it. Several, seconds apart, so that
    // a watcher on the folder (ready again after the restart above) would have seen one.
    mark = dev.output().length
    for (let i = 1; i <= 3; i++) {
      const from = dev.output().length
      ws.write('srv/tick.ts', `${fixture('forever.ts')}// edit ${i}\n`)
      await dev.waitFor(/tick reloaded its code/, { from })
      await Bun.sleep(1500)
    }
    expect(dev.output().slice(mark)).not.toMatch(/api (restarted|stopped|started)/)
    // A file it imports from now on is watched from now on: dev applies the config with the new list.
    mark = dev.output().length
    ws.write('srv/extra.js', `exports.extra = 'one'\n`)
    ws.write('srv/server.js', server.replace(`require('./reply.js')`, `{ reply: require('./reply.js').reply + require('./extra.js').extra }`))
    await dev.waitFor(/api imports other files now, applying the config/, { from: mark })
    await dev.waitFor(/up in \d+ ms \(1 restarted, 1 unchanged\)/, { from: mark })
    expect(await fetchUntil(port, 'edited')).toMatch(/^edited\d*one /)
    mark = dev.output().length
    edits = 0
    const editingExtra = setInterval(() => ws.write('srv/extra.js', `exports.extra = 'two${++edits}'\n`), 2000)
    ws.write('srv/extra.js', `exports.extra = 'two'\n`)
    try {
      await dev.waitFor(/api restarted \(pid \d+\): file change: .*extra\.js/, { from: mark, timeoutMs: 20_000 })
    }
    finally {
      clearInterval(editingExtra)
    }
    expect(await fetchUntil(port, 'edited')).toMatch(/^edited\d*two/)
    await stopDev(dev)
  }, 90_000)
})

describe('dev: an errored worker waits for an edit of its own files', () => {
  test('a bun worker\'s edit beside it does not start it again; its own does', async () => {
    const ws = workspace({
      'crash.ts': fixture('exit-1.ts'),
      'tick.ts': fixture('forever.ts'),
      'pm.config.ts': config(`{ name: 'crash', bun: 'crash.ts', options: { max_restarts: 3 } }, { name: 'tick', bun: 'tick.ts' }`),
    })
    const dev = startDev(ws.root)
    await dev.waitFor(/crash errored: it crashed 3 times in a row/)
    const mark = dev.output().length
    for (let i = 1; i <= 2; i++) {
      const from = dev.output().length
      ws.write('tick.ts', `${fixture('forever.ts')}// edit ${i}\n`)
      await dev.waitFor(/tick reloaded its code/, { from })
      await Bun.sleep(1000)
    }
    expect(dev.output().slice(mark)).not.toContain('crash restarting')
    ws.write('crash.ts', 'console.log(\'fixed now\')\nsetInterval(() => {}, 1000)\n')
    await dev.waitFor(/crash restarting: its files changed/, { from: mark })
    await dev.waitFor(/crash +\| fixed now/, { from: mark })
    await stopDev(dev)
  }, 60_000)
})
