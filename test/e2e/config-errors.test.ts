import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { devHome } from '../../src/dev/session.ts'
import { allPids, environOf } from '../../src/os/processes.ts'
import { processesMentioning, runCli } from '../helpers/cli.ts'
import { IMPORT_DEFINE, makeWorkspace, type TempWorkspace } from '../helpers/workspace.ts'

const SCRIPT = 'setInterval(() => {}, 1000)\n'
const made: TempWorkspace[] = []
afterAll(() => made.forEach(ws => ws.remove()))

interface Case {
  name: string
  /** The object passed to defineWorkspace, as source. */
  config?: string
  /** Or the whole pm.config.ts. */
  file?: string
  /** Other files of the workspace. */
  files?: Record<string, string>
  args?: string[]
  /** Every one of these must be in the one-line error. */
  says: string[]
}

const worker = (fields: string) => `{ workers: [{ name: 'web', bun: 'web.ts', ${fields} }] }`

const cases: Case[] = [
  { name: 'no config file', says: ['no pm.config.ts here', 'create one', '--cwd'] },
  { name: 'a syntax error', file: `${IMPORT_DEFINE}export default defineWorkspace({\n  workers: [\n    { name: 'web', bun: 'web.ts'\n  ],\n})\n`, says: ['pm.config.ts:5:', 'but found "]"', 'fix the config'] },
  { name: 'a type error while evaluating', file: `const env: any = {}\nexport default {\n  workers: [{ name: 'web', bun: env.paths.web }],\n}\n`, says: ['pm.config.ts:3:', 'env.paths.web', 'fix the config'] },
  { name: 'a default export that is not a workspace', file: 'export default 42\n', says: ['pm.config.ts', 'the default export is 42', 'export default defineWorkspace'] },
  { name: 'no default export', file: 'export const workers = []\n', says: ['pm.config.ts', 'the default export is undefined, not a workspace', 'export default defineWorkspace'] },
  { name: 'a default export of another shape', file: 'export default { servers: [] }\n', says: ['pm.config.ts', 'not a workspace', 'neither `workers` nor `defaults`'] },
  { name: 'workers missing', config: '{ defaults: {} } as any', says: ['pm.config.ts', '`workers` is missing', 'add `workers:'] },
  { name: 'workers not an array', config: '{ workers: { web: {} } } as any', says: ['pm.config.ts', '`workers` must be an array', 'not an object'] },
  { name: 'a worker without a name', config: `{ workers: [{ name: 'ok', bun: 'web.ts' }, { bun: 'web.ts' }] } as any`, says: ['pm.config.ts', 'workers[1] has no name', "add `name: 'some-name'`"] },
  { name: 'duplicate names', config: `{ workers: [{ name: 'web', bun: 'web.ts' }, { name: 'web', bun: 'web.ts' }] }`, says: ['pm.config.ts', 'worker "web"', 'used by two workers', 'rename one'] },
  { name: 'an all-digit name', config: `{ workers: [{ name: '42', bun: 'web.ts' }] }`, says: ['pm.config.ts', 'workers[0] name "42"', 'not only digits'] },
  { name: 'a name with a space', config: `{ workers: [{ name: 'my web', bun: 'web.ts' }] }`, says: ['pm.config.ts', '"my web"', 'letters, digits'] },
  { name: 'the reserved name all', config: `{ workers: [{ name: 'all', bun: 'web.ts' }] }`, says: ['pm.config.ts', '"all"', 'not "all"'] },
  { name: 'an unknown worker field', config: `{ workers: [{ name: 'web', bun: 'web.ts', grup: 'x' }] } as any`, says: ['pm.config.ts', 'worker "web"', 'unknown field `grup`', 'did you mean "group"'] },
  { name: 'no script for the chosen interpreter', config: `{ workers: [{ name: 'web', node: 'web.js' }] }`, says: ['pm.config.ts', 'worker "web"', 'runs under bun but has no `bun` script', "options.interpreter` to 'node'"] },
  { name: 'a script that does not exist', config: `{ workers: [{ name: 'web', bun: 'workers/nope.ts' }] }`, says: ['pm.config.ts', 'worker "web"', '"workers/nope.ts" does not exist', 'fix the path'] },
  { name: 'a built script that does not exist yet', config: `{ workers: [{ name: 'web', node: 'dist/web.js', options: { interpreter: 'node' } }] }`, says: ['worker "web"', 'does not exist', 'run `bun run build` first'] },
  { name: 'an unknown interpreter', config: worker(`options: { interpreter: 'python' as any }`), says: ['pm.config.ts', 'worker "web"', 'interpreter "python" is not supported', "use 'bun', 'node', 'tsx'"] },
  { name: 'an interpreter that is not installed', config: `{ workers: [{ name: 'web', tsx: 'web.ts', options: { interpreter: 'tsx' } }] }`, says: ['worker "web"', 'interpreter `tsx` was not found', 'npm install tsx'] },
  { name: 'options that set name', config: worker(`options: { name: 'other' } as any`), says: ['pm.config.ts', 'worker "web"', 'sets `name`', 'remove it'] },
  { name: 'options that set script', config: worker(`options: { script: 'x.ts' } as any`), says: ['pm.config.ts', 'worker "web"', 'sets `script`', "worker's `bun`, `node` or `tsx` field"] },
  { name: 'defaults that set script', config: `{ defaults: { script: 'x.ts' } as any, workers: [{ name: 'web', bun: 'web.ts' }] }`, says: ['pm.config.ts', '`defaults` sets `script`'] },
  { name: 'a malformed max_memory_restart', config: worker(`options: { max_memory_restart: '100MB' }`), says: ['pm.config.ts', 'worker "web"', 'max_memory_restart "100MB"', "'100M'"] },
  // What PM2 itself refuses when it spawns (issue 16): said when the config loads, as the user's mistake.
  { name: 'a user that does not exist', config: worker(`options: { uid: 'no-such-user-bun-pm' } as any`), says: ['pm.config.ts', 'worker "web"', '`uid` "no-such-user-bun-pm" is no user of this machine', 'useradd'] },
  { name: 'a group that does not exist', config: worker(`options: { gid: 'no-such-group-bun-pm' } as any`), says: ['pm.config.ts', 'worker "web"', '`gid` "no-such-group-bun-pm" is no group of this machine', 'groupadd'] },
  { name: 'a cwd that is no folder', config: worker(`options: { cwd: 'services/api' }`), says: ['pm.config.ts', 'worker "web"', '`cwd` "services/api" is no folder', 'create it, or fix the path'] },
  { name: 'a min_uptime PM2 does not read', config: worker(`options: { min_uptime: '500ms' }`), says: ['pm.config.ts', 'worker "web"', '`min_uptime` "500ms" is not what PM2 reads', '"[NUMBER]s"'] },
  { name: 'an option of the wrong type', config: `{ defaults: { kill_timeout: 'soon' } as any, workers: [{ name: 'web', bun: 'web.ts' }] }`, says: ['pm.config.ts', '`defaults`', '`kill_timeout` must be a number, not "soon"'] },
  { name: 'a cron pattern PM2 cannot parse', config: worker(`options: { cron_restart: '61 * * * *' }`), says: ['pm.config.ts', 'worker "web"', '`cron_restart` "61 * * * *" is not a cron pattern', "'0 3 * * *'"] },
  { name: 'a mistake in the block of another environment', config: `{ workers: [{ name: 'web', bun: 'web.ts' }], $development: { defaults: { max_memory_restart: '200MB' } }, $production: { defaults: { max_memory_restart: '200MB' } } }`, says: ['pm.config.ts ($', 'max_memory_restart "200MB"', "'100M'"] },
  { name: 'cluster mode', config: worker(`options: { exec_mode: 'cluster' }`), says: ['worker "web"', 'exec_mode "cluster" is not supported', 'pm2 issue 5777'] },
  { name: 'a malformed heartbeat', config: worker(`heartbeat: 'often'`), says: ['worker "web"', '`heartbeat` "often"', "'30s'"] },
  { name: 'a heartbeat of another protocol', config: worker(`heartbeat: 'redis://127.0.0.1:6379'`), says: ['worker "web"', 'uses redis://', "'tcp://127.0.0.1:5432'"] },
  { name: 'a malformed health option', config: worker(`options: { health: { timeout: '2 seconds' } } as any`), says: ['worker "web"', 'health.timeout "2 seconds" is not a duration', "'500ms'"] },
  { name: 'a dependsOn naming no worker', config: `{ workers: [{ name: 'web', bun: 'web.ts', dependsOn: ['dbb'] }, { name: 'db', bun: 'web.ts' }] }`, says: ['pm.config.ts', 'worker "web"', '`dependsOn` names "dbb"', 'did you mean "db"'] },
  { name: 'a dependsOn cycle', config: `{ workers: [{ name: 'a', bun: 'web.ts', dependsOn: ['c'] }, { name: 'b', bun: 'web.ts', dependsOn: ['a'] }, { name: 'c', bun: 'web.ts', dependsOn: ['b'] }] }`, says: ['pm.config.ts', '`dependsOn` has a cycle: a -> c -> b -> a', 'remove one'] },
  { name: 'depending on a deactivated worker', config: `{ workers: [{ name: 'web', bun: 'web.ts', dependsOn: ['db'] }, { name: 'db', bun: 'web.ts', activated: false }] }`, says: ['pm.config.ts', 'worker "web" depends on "db", which is deactivated', '--no-deps'] },
  { name: 'an unknown worker name', config: worker(''), args: ['--workers=wbe'], says: ['pm.config.ts', 'no worker is named "wbe"', 'did you mean "web"', 'the workers are web'] },
  { name: 'an unknown group', config: `{ workers: [{ name: 'web', bun: 'web.ts' }, { name: 'mail', group: 'jobs', bun: 'web.ts' }] }`, args: ['--group=job'], says: ['pm.config.ts', 'no worker is in group "job"', 'did you mean "jobs"', 'the groups are primary, jobs'] },
  { name: 'naming a deactivated worker', config: worker('activated: false'), args: ['--workers=web'], says: ['pm.config.ts', 'worker "web" is deactivated', 'set `activated: true`'] },
  { name: 'a selection that ends up empty', config: `{ workers: [{ name: 'web', bun: 'web.ts' }, { name: 'mail', group: 'jobs', activated: false, bun: 'web.ts' }] }`, args: ['--group=jobs'], says: ['pm.config.ts', 'group "jobs" has no activated worker', 'set `activated: true`'] },
  { name: 'a workspace with nothing activated', config: worker('activated: false'), says: ['pm.config.ts', 'has no activated worker to run', 'set `activated: true`'] },
  { name: 'an unknown flag', config: worker(''), args: ['--gruop=primary'], says: ['unknown flag --gruop', 'did you mean "group"'] },
  { name: 'a stray argument', config: worker(''), args: ['web'], says: ['takes no argument "web"', '--workers=web'] },
  { name: 'a package.json that is not JSON (it names the namespace)', config: worker(''), files: { 'package.json': '{ "name": "shop", }' }, says: ['package.json:', 'names the workspace\'s PM2 namespace after its `name`', 'set `name` in pm.config.ts'] },
]

describe('bad input: one clear line, exit 1, nothing started', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const ws = makeWorkspace({ 'web.ts': SCRIPT, ...c.files, ...(c.file && { 'pm.config.ts': c.file }) }, { config: c.config })
      made.push(ws)
      // `dev` is the command that would start processes; explain and start must fail the same way.
      for (const command of ['dev', 'start', 'explain']) {
        const result = await runCli([command, ...(c.args ?? [])], { cwd: ws.root })
        const lines = result.stderr.trim().split('\n')
        expect(lines).toHaveLength(1)
        expect(lines[0]).toStartWith('error: ')
        for (const part of c.says)
          expect(lines[0]).toContain(part)
        expect(result.code).toBe(1)
        expect(result.stdout).toBe('')
        expect(result.pm2HomeTouched).toBe(false)
        // dev would use a PM2 home of its own, and a watchdog that names it.
        expect(existsSync(devHome(ws.root))).toBe(false)
        expect(allPids().filter(pid => environOf(pid).includes(`PM2_HOME=${devHome(ws.root)}`))).toEqual([])
        expect(processesMentioning(ws.root)).toEqual([])
        expect(processesMentioning(devHome(ws.root))).toEqual([])
      }
    // Three commands, each a fresh bun: a loaded machine takes more than the default 5 s.
    }, 20_000)
  }
})
