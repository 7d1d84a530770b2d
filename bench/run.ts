// `bun run bench` (or `bun run bench --quick`, under 2 minutes): every benchmark, printed and
// written to bench/RESULTS.md with the machine, the versions and the date.
import { join } from 'node:path'
import { benchDeploy, deployTable, migratesRequests, unitFloor, withMigration } from './deploy.ts'
import { benchDevUpAndDown, benchReload, benchReloadParts } from './dev.ts'
import { benchLogs } from './logs.ts'
import { benchMonit, monitSection } from './monit.ts'
import { benchRunCommand, runSection } from './run-command.ts'
import { checkoutState, machine, ms, REPO, write } from './lib.ts'
import { benchStart, type StartRow } from './start.ts'
import { benchMemory, benchStatus } from './status.ts'
import { benchTimeline } from './timeline.ts'

const quick = process.argv.includes('--quick')
const plan = quick
  ? { start: [[1, 3], [10, 3], [50, 1]], status: 5, timeline: 3, saves: 15, reloadRuns: 3, partSaves: 10, devRuns: 3, deploys: 1, floodSeconds: 10 }
  : { start: [[1, 5], [10, 5], [50, 3], [100, 3]], status: 15, timeline: 5, saves: 100, reloadRuns: 3, partSaves: 50, devRuns: 5, deploys: 3, floodSeconds: 60 }
const began = performance.now()
const lines: string[] = []
const say = (...section: string[]) => {
  console.log(section.join('\n'))
  lines.push(...section)
}

// `bun start` runs the build: make sure it is this checkout's.
if (Bun.spawnSync([process.execPath, 'run', 'build'], { cwd: REPO, stdout: 'ignore' }).exitCode !== 0)
  throw new Error('bun run build failed')

say(
  '# Benchmarks',
  '',
  `\`bun run bench${quick ? ' --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}, ${machine()}; bun-pm at ${checkoutState()}.`,
  'Every figure is a median of runs interleaved with its peers (drift hits all alike), with its ratio to the peer measured in the same run.',
  'Every run starts cold: a fresh PM2 home, no daemon. Ports: free ones below 32768. No test asserts a timing; this file is the record.',
  '',
)

const rows: StartRow[] = []
for (const [count, runs] of plan.start)
  rows.push(await benchStart(count!, runs!))
const ratio = (a: number, b: number) => (a / b).toFixed(2)
say(
  '## start: N one-line Bun HTTP servers, from the command until every one answers',
  '',
  '`pm2 CLI`: `pm2 start ecosystem.config.cjs` as PM2 ships (its CLI and daemon under Node, `interpreter: bun`).',
  '`pm2 CLI tuned`: the same with `pmx: false, automation: false`, as a PM2 expert writes it. `floor`: `Bun.spawn` of each server, no manager.',
  '`bun-pm start`: `bun start` with an HTTP heartbeat per worker (so ready = answering). Serving: every port answers; returns: the command exited.',
  '',
  '| N | runs | floor | pm2 CLI | pm2 CLI tuned | bun-pm start: serving | bun-pm / tuned (target ≤ 0.6) | bun-pm / floor (target ≤ 2) | bun-pm / pm2 CLI |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map(r => `| ${r.count} | ${r.runs} | ${ms(r.serving.floor)} | ${ms(r.serving['pm2 CLI'])} | ${ms(r.serving['pm2 CLI tuned'])} | ${ms(r.serving['bun-pm start'])} | ${ratio(r.serving['bun-pm start'], r.serving['pm2 CLI tuned'])} | ${ratio(r.serving['bun-pm start'], r.serving.floor)} | ${ratio(r.serving['bun-pm start'], r.serving['pm2 CLI'])} |`),
  '',
  '| N | pm2 CLI returns | pm2 CLI tuned returns | bun-pm start returns | bun-pm: returns − last worker ready (target ≤ 100 ms) |',
  '|---|---|---|---|---|',
  ...rows.map(r => `| ${r.count} | ${ms(r.returned['pm2 CLI'])} | ${ms(r.returned['pm2 CLI tuned'])} | ${ms(r.returned['bun-pm start'])} | ${ms(r.returnLag)} |`),
  '',
  'PM2\'s CLI returns before its workers answer (it does not know when they do); `bun start` returns once each one passed its check.',
  '',
)

const timeline = await benchTimeline(10, plan.timeline)
say('## Where one cold start spends its time', '', 'From `BUN_PM_TRACE` (src/trace.ts): the launcher, the health agent and each worker write their phases on one clock; `bun bench/timeline.ts 10 5` runs this alone.', '', ...timeline, '')

const status = await benchStatus(10, plan.status)
say(
  '## status: `bun-pm status --json` against `pm2 jlist`, 10 workers running',
  '',
  '| command | median (process start to exit) |',
  '|---|---|',
  `| \`pm2 jlist\` (PM2's CLI, Node) | ${ms(status.jlist)} |`,
  `| \`bun-pm status --json\` (loads pm.config.ts, reads the health agent's state too) | ${ms(status.status)} |`,
  `| ratio (target ≤ 0.5) | ${ratio(status.status, status.jlist)} |`,
  '',
)

const memory = await benchMemory(10)
const mb = (value: number) => `${value.toFixed(0)} MB`
say(
  '## Memory: what stays resident with 10 workers (VmRSS, 2 s after they answer)',
  '',
  '| process | bun-pm (`start --attach`) | PM2 CLI tuned |',
  '|---|---|---|',
  `| launcher in the foreground | ${mb(memory.launcher)} | – (the CLI exits) |`,
  `| PM2 daemon | ${mb(memory.daemon)} (under bun) | ${mb(memory.pm2Daemon)} (under Node) |`,
  `| health agent | ${mb(memory.agent)} | – (PM2 checks nothing) |`,
  `| the 10 workers together | ${mb(memory.workers)} | ${mb(memory.pm2Workers)} |`,
  `| total of the manager's own processes | ${mb(memory.daemon + memory.agent)} (+ ${mb(memory.launcher)} attached) | ${mb(memory.pm2Daemon)} |`,
  '',
)

const reload = await benchReload(plan.saves, plan.reloadRuns)
const parts = await benchReloadParts(plan.partSaves)
const devRuns = await benchDevUpAndDown(10, plan.devRuns)
const bare = parts['bun --watch server.ts']
const partRow = (what: string, value: number) => `| ${what} | ${ms(value)} | +${ms(value - bare)} | ${ratio(value, bare)} |`
say(
  '## dev',
  '',
  `A save of a worker file until its new code answers: \`bun --watch server.ts\` alone and the same server as a bun worker under \`dev\` (reloaded in place), each on its own file and port, saved in turn. ${plan.reloadRuns} runs of ${plan.saves} saves each, fresh processes per run; medians per run. \`bun bench/dev.ts 50 3\` runs this alone.`,
  '',
  '| run | `bun --watch` alone | under `dev` | ratio |',
  '|---|---|---|---|',
  ...reload.runs.map((r, i) => `| ${i + 1} | ${ms(r.bunWatch)} | ${ms(r.dev)} | ${r.ratio.toFixed(2)} |`),
  `| median of the ratios (target ≤ 1.2) | | | ${reload.ratio.toFixed(2)} |`,
  '',
  `Where the difference goes: each part that \`dev\` puts in front of a bun worker's code, under \`bun --watch\` on its own, spawned as PM2's daemon spawns a worker (its own process group, an IPC channel) but without PM2; then the whole under \`dev\`. One run, ${plan.partSaves} saves each, in turn.`,
  '',
  '| how the server runs | median | added | vs alone |',
  '|---|---|---|---|',
  partRow('`bun --watch server.ts` alone', bare),
  partRow('PM2\'s bun container (`ProcessContainerForkBun.js`, `pmx: false`) running server.ts', parts['PM2\'s bun container alone']),
  partRow('bun-pm\'s entry (src/worker/entry.ts) running server.ts', parts['bun-pm\'s entry alone']),
  partRow('container, then entry, then server.ts: what PM2\'s daemon runs for a bun worker', parts['container + entry, no PM2']),
  partRow('under `bun-pm dev`: the same, spawned by the session\'s PM2 daemon, dev\'s launcher on its bus', parts['bun-pm dev']),
  '',
  '| what | median |',
  '|---|---|',
  `| \`dev\` with 10 workers: command until every one answers (${plan.devRuns} runs) | ${ms(devRuns.up)} |`,
  `| Ctrl-C until the last process of the session is gone | ${ms(devRuns.down)} |`,
  '',
)

const flood = await benchLogs(plan.floodSeconds)
say(
  '## Logs under a flood: one worker writing 20 MB/s, the default budget (10 MB a file, 3 rotated)',
  '',
  '`bun bench/logs.ts 60` runs this alone. The logs folder is looked at every 50 ms while the worker writes.',
  '',
  '| what | figure |',
  '|---|---|',
  `| written by the worker in ${flood.seconds} s | ${flood.writtenMb.toFixed(0)} MB |`,
  `| the worker's log files at their largest (budget: ${flood.budgetMb} MB, four files of 10 MB) | ${flood.peakLogsMb.toFixed(1)} MB |`,
  `| lines kept (the last ~40 MB), with a number missing between the oldest kept and the last written | ${flood.keptLines} lines, ${flood.gaps} gaps |`,
  `| lines cut or unstamped | ${flood.cut} |`,
  `| restarts of the worker | ${flood.restarts} |`,
  '',
  `The bar: the home stays under its budget and no line is lost at a rotation — ${flood.peakLogsMb <= flood.budgetMb + 1 && flood.gaps === 0 && flood.cut === 0 ? 'met' : 'not met'}. PM2 alone writes all ${flood.writtenMb.toFixed(0)} MB to one file.`,
  '',
)

say(...monitSection(await benchMonit(50, quick ? 8 : 20)))
say(...runSection(await benchRunCommand(quick ? 3 : 5)))

const deploys = await benchDeploy(plan.deploys)
const migrated = await withMigration(() => benchDeploy(plan.deploys, ['new connection']))
const floor = await unitFloor(5)
// The `server.stop()` rows are the control (a server that does not drain): not part of the bar.
const bunPmRows = deploys.filter(r => r.tool === 'bun-pm' && !r.kind.includes('server.stop()'))
say(
  '## Deploys under load: 8 clients requesting without pause while the workspace is deployed',
  '',
  'A Bun HTTP server (`reusePort`, `/health` its heartbeat): (a) `instances: 2`, a changed `.env` value, then `bun start`;',
  '(b) one process of a default-exported server (bun-pm\'s entry serves it, with `reusePort`), the same;',
  '(c) `bun run restart` of (a). Beside them PM2 7 as an expert deploys the same servers: `pm2 reload',
  'ecosystem.config.cjs --update-env`, fork mode (the only mode that runs bun; PM2\'s container cannot serve a',
  'default export, so (b) is the same server as (a) with one instance). Requests are summed over the runs;',
  'deploy times are medians. Clients: keep-alive (browsers, proxies, `fetch`), or a new connection per request.',
  `The kernel's \`net.ipv4.tcp_migrate_req\` is ${migratesRequests() ? 'on' : 'off'} on this machine.`,
  '',
  ...deployTable(deploys),
  '',
  ...(migrated ? ['The new-connection rows again with `net.ipv4.tcp_migrate_req=1` (set for these runs, then restored):', '', ...deployTable(migrated), ''] : []),
  `The bar: 0 failed requests in every bun-pm case (the \`server.stop()\` rows are the control: a server that stops at once instead of draining) — ${bunPmRows.filter(r => r.mode === 'keep-alive').every(r => r.failed === 0) ? 'met' : 'not met'} with keep-alive clients${migrated ? `, ${migrated.filter(r => r.tool === 'bun-pm' && !r.kind.includes('server.stop()')).every(r => r.failed === 0) ? 'met' : 'not met'} with a new connection per request once the kernel hands a closing listener's queue to the new one` : ''}.`,
  'A client that opens a connection per request can land, in the microseconds before an old process closes its',
  'listening socket, in that socket\'s accept queue; Linux resets what is queued there when it closes, unless',
  '`net.ipv4.tcp_migrate_req=1` (Linux 5.14+) moves it to another listener of the port. bun-pm cannot do that',
  'for the kernel; `start --dry-run` says so when it is off.',
  '',
  `The deploy itself: a bare server here answers ${ms(floor.readyMs)} after its spawn and drains in ${ms(floor.drainMs)} (no manager).`,
  'Under bun-pm a unit\'s new process is ready when the health agent has seen *it* answer (PM2\'s container,',
  'bun-pm\'s entry and the check come on top); "the rest" is what the deploy took beyond the command\'s own',
  'cost (the same `start` with nothing to change) and each unit\'s ready + drain, one unit after another.',
  '',
)

// The targets of issue 12, each with what this run measured, and where one is missed, why.
const row = (n: number) => rows.find(r => r.count === n)
const verdict = (ok: boolean) => ok ? 'met' : 'not met'
const at = (n: number, f: (r: StartRow) => number) => row(n) ? f(row(n)!).toFixed(2) : '–'
const tunedRatio = (r: StartRow) => r.serving['bun-pm start'] / r.serving['pm2 CLI tuned']
const floorRatio = (r: StartRow) => r.serving['bun-pm start'] / r.serving.floor
const spawnPerWorker = rows.length > 1 ? (rows.at(-1)!.serving['pm2 CLI tuned'] - rows[1]!.serving['pm2 CLI tuned']) / (rows.at(-1)!.count - rows[1]!.count) : Number.NaN
say(
  '## The targets',
  '',
  '| target | measured here | |',
  '|---|---|---|',
  `| 10 and 50 workers until all answer: ≤ 0.6x the tuned PM2 CLI | 10: ${at(10, tunedRatio)}x, 50: ${at(50, tunedRatio)}x (1: ${at(1, tunedRatio)}x${row(100) ? `, 100: ${at(100, tunedRatio)}x` : ''}) | 10: ${verdict(tunedRatio(row(10)!) <= 0.6)}; 50: ${row(50) ? verdict(tunedRatio(row(50)!) <= 0.6) : '–'} |`,
  `| … and ≤ 2x the floor | 10: ${at(10, floorRatio)}x, 50: ${at(50, floorRatio)}x | not met |`,
  `| \`start\` returns ≤ 100 ms after its last worker is ready | ${rows.map(r => `${r.count}: ${ms(r.returnLag)}`).join(', ')} | ${verdict(rows.every(r => r.returnLag <= 100))} |`,
  `| \`status --json\` ≤ 0.5x \`pm2 jlist\` | ${ratio(status.status, status.jlist)}x | ${verdict(status.status / status.jlist <= 0.5)} |`,
  `| dev: save until new code answers ≤ 1.2x \`bun --watch\` alone, median of ${plan.reloadRuns} runs' ratios | ${reload.ratio.toFixed(2)}x (runs: ${reload.runs.map(r => `${r.ratio.toFixed(2)}x`).join(', ')}) | ${verdict(reload.ratio <= 1.2)} |`,
  '',
  '**Why 2x the floor is out of reach for any process manager here.** The floor spawns N bun',
  `processes from a running bun: ${ms(row(10)!.serving.floor)} for 10. Before PM2 runs a single worker, its daemon must`,
  'start: a bun (or node) process that loads PM2 (~60 ms of modules on this machine), then opens its',
  'sockets; the timeline above has it ready ~90 ms after the config is read. bun-pm already overlaps',
  'loading pm2\'s client with that boot, skips pm2.connect\'s 100 ms ping of a daemon that is known not',
  'to run, hands every worker over in one call and does not wait for its health agent when the',
  'workers have HTTP/TCP checks. What is left is the daemon\'s own start and its spawning: meeting 2x',
  'would mean not starting a daemon at all, i.e. not using PM2, which the issue rules out.',
  '',
  '**Why 50 and more workers stay near the tuned PM2.** From 10 to the largest N, the tuned PM2 CLI',
  `adds ~${spawnPerWorker.toFixed(1)} ms per worker and bun-pm about the same: that is PM2's daemon preparing and spawning`,
  'one app after another (God.prepare, log streams, fork) while N bun processes boot on 2 cores. Both',
  'tools pay it; bun-pm also loads its entry (so that default-exported servers are served, ~0.5 ms of',
  'CPU per worker) and checks each worker over HTTP until it answers. bun-pm\'s lead is fixed (~200 ms:',
  'no ping, the daemon booting while pm2 loads, the Node CLI\'s own start), so the ratio tends to 1 as',
  'N grows. Below 0.6x at 50 would need the daemon to spawn apps in parallel, a change inside PM2.',
  '',
  `**dev reloads.** A save reaches bun's watcher the same way in both, and bun restarts the process in place (execve, same pid); what differs is what the new process loads before the worker's code. Measured alone in this run (the dev table above, ${plan.partSaves} saves each): PM2's bun container adds ${ms(parts['PM2\'s bun container alone'] - bare)} to a reload, bun-pm's entry ${ms(parts['bun-pm\'s entry alone'] - bare)}, the two together ${ms(parts['container + entry, no PM2'] - bare)}; under \`dev\` it is ${ms(parts['bun-pm dev'] - bare)} in all, the rest being the session's PM2 daemon and dev's launcher, which take the worker's "loaded" message (and print "reloaded") while it answers its first request.`,
  'bun-pm loads one module of its own there: the entry, which does what the preload did (no `--preload`), and loads serve.ts only for a default-exported server and trace.ts only under `BUN_PM_TRACE`; bench/devreload-2026-12-07.md has the breakdown before and after that change.',
  `The target is the median of ${plan.reloadRuns} runs' ratios: ${reload.ratio.toFixed(2)}x here (runs ${reload.runs.map(r => r.ratio.toFixed(2)).join(', ')}), ${verdict(reload.ratio <= 1.2)}. What is left of bun-pm's own is PM2's container (two CommonJS files, PM2's to change): leaving it out would take an interpreter path whose last segment is not \`bun\` (PM2 then runs bun-pm's entry directly), which also changes what \`explain\` and \`status\` show.`,
  '',
)

say(`Whole run: ${((performance.now() - began) / 1000).toFixed(0)} s.`)
write(join(REPO, quick ? 'bench/RESULTS-quick.md' : 'bench/RESULTS.md'), `${lines.join('\n')}\n`)
