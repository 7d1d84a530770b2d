// `bun bench/dev-before-after.ts <old checkout> [saves]`: a dev reload under an older bun-pm beside
// this one, in one run (saves in turn), with the parts each runs in front of a bun worker's code
// spawned as PM2's daemon spawns them. The old checkout: `git archive <commit> src package.json
// tsconfig.json bunfig.toml | tar -x -C <dir>` and a node_modules link (bench/devreload-2026-12-07.md).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { SCRIPT_KEY, WORKER_ENTRY } from '../src/plan/mode-options.ts'
import { RELOAD_PARTS, reloadRun, underDev, watched } from './dev.ts'
import { REPO } from './lib.ts'

const old = process.argv[2]
if (!old || !existsSync(join(old, 'src/commands/exec-process.ts')))
  throw new Error('usage: bun bench/dev-before-after.ts <checkout of an older bun-pm> [saves]')
const saves = Number(process.argv[3] ?? 50)
const CONTAINER = join(REPO, 'node_modules/pm2/lib/ProcessContainerForkBun.js')
const oldWorker = (name: string) => join(old, 'src/worker', name)
const load = async () => (await Bun.file('/proc/loadavg').text()).trim()

console.log(`load before: ${await load()}`)
const medians = await reloadRun({
  'bun --watch server.ts': RELOAD_PARTS['bun --watch server.ts'],
  // What the older PM2 options ran: its preload, the container, its entry.
  'before: preload + container + entry, no PM2': (dir: string, port: number) => existsSync(oldWorker('preload.ts'))
    ? watched(dir, port, () => ['--preload', oldWorker('preload.ts'), CONTAINER], file => ({ pm_exec_path: oldWorker('entry.ts'), pmx: 'false', [SCRIPT_KEY]: file }))
    : watched(dir, port, () => [CONTAINER], file => ({ pm_exec_path: oldWorker('entry.ts'), pmx: 'false', [SCRIPT_KEY]: file })),
  'after: container + entry, no PM2': (dir: string, port: number) => watched(dir, port, () => [CONTAINER], file => ({ pm_exec_path: WORKER_ENTRY, pmx: 'false', [SCRIPT_KEY]: file })),
  'before: bun-pm dev': (dir: string, port: number) => underDev(dir, port, join(old, 'src/commands/exec-process.ts')),
  'after: bun-pm dev': (dir: string, port: number) => underDev(dir, port),
}, saves)
const base = medians['bun --watch server.ts']
for (const [what, value] of Object.entries(medians))
  console.log(`| ${what} | ${value.toFixed(1)} ms | ${(value / base).toFixed(2)}x |`)
console.log(`load after: ${await load()}`)
