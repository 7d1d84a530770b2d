// `bun run bench` (or `bun run bench --quick`, under 2 minutes): every benchmark, printed and
// written to bench/RESULTS.md with the machine, the versions and the date.
import { join } from 'node:path'
import { benchDeploy, deployTable, migratesRequests, unitFloor, withMigration } from './deploy.ts'
import { benchDevUpAndDown, benchReload } from './dev.ts'
import { benchLogs } from './logs.ts'
import { benchMonit, monitSection } from './monit.ts'
import { benchRecovery, EQUAL_SETTINGS, recoverySection } from './recovery.ts'
import { benchRunCommand, runSection } from './run-command.ts'
import { benchSoak, type SoakSubject, soakSection } from './soak.ts'
import { checkoutState, machine, ms, REPO, write } from './lib.ts'
import { benchStart, type StartRow } from './start.ts'
import { benchMemory, benchStatus } from './status.ts'
import { benchTimeline } from './timeline.ts'

const quick = process.argv.includes('--quick')
const plan = quick
  ? { start: [[1, 3], [10, 3], [50, 1]], status: 5, timeline: 3, saves: 40, devRuns: 3, deploys: 1, floodSeconds: 10, recoveryRuns: 3, soak: { workers: 5, restarts: 50, seconds: 20 } }
  : { start: [[1, 5], [10, 5], [50, 3], [100, 3]], status: 15, timeline: 5, saves: 100, devRuns: 5, deploys: 3, floodSeconds: 60, recoveryRuns: 7, soak: { workers: 20, restarts: 1000, seconds: 600 } }
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

const reload = await benchReload(plan.saves)
const devRuns = await benchDevUpAndDown(10, plan.devRuns)
say(
  '## dev',
  '',
  `| what | median |`,
  '|---|---|',
  `| save a worker file until its new code answers: \`bun --watch server.ts\` alone (${plan.saves} saves, alternating) | ${ms(reload.bunWatch)} |`,
  `| the same under \`dev\` (bun worker reloaded in place) | ${ms(reload.dev)} |`,
  `| ratio (target ≤ 1.2) | ${ratio(reload.dev, reload.bunWatch)} |`,
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

const recovery = await benchRecovery(plan.recoveryRuns)
say(...recoverySection(recovery))

// Last: the longest (its heartbeat phase is idle time for the machine).
const soakSubjects: SoakSubject[] = ['bun-pm', 'pm2 tuned (daemon under Node)', 'pm2 daemon under bun, no bun-pm preloads']
const soak = await benchSoak({ ...plan.soak, subjects: soakSubjects, heapAt: 'ends', log: () => {} })
say(...soakSection(soak))

// The targets of issue 12, each with what this run measured, and where one is missed, why.
const row = (n: number) => rows.find(r => r.count === n)
const verdict = (ok: boolean) => ok ? 'met' : 'not met'
const at = (n: number, f: (r: StartRow) => number) => row(n) ? f(row(n)!).toFixed(2) : '–'
const tunedRatio = (r: StartRow) => r.serving['bun-pm start'] / r.serving['pm2 CLI tuned']
const floorRatio = (r: StartRow) => r.serving['bun-pm start'] / r.serving.floor
const bunPmSoak = soak.figures['bun-pm']!
const soakGrowth = (from: 'start' | 'baseline') => [['daemon', bunPmSoak.daemon], ['agent', bunPmSoak.agent!]].map(([which, f]) => `${which} ${((f as typeof bunPmSoak.daemon).end / (f as typeof bunPmSoak.daemon)[from] * 100 - 100).toFixed(1)} %`).join(', ')
const soakWithin = (from: 'start' | 'baseline') => [bunPmSoak.daemon, bunPmSoak.agent!].every(f => f.end / f[from] <= 1.1)
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
  `| dev: save until new code answers ≤ 1.2x \`bun --watch\` alone | ${ratio(reload.dev, reload.bunWatch)}x | ${verdict(reload.dev / reload.bunWatch <= 1.2)} |`,
  `| recovery after a SIGKILL ≤ PM2 tuned with the same settings (first / repeated kill) | ${EQUAL_SETTINGS.map(([b, p]) => `${p.replace('pm2 tuned, ', '')}: ${ratio(recovery.first[b], recovery.first[p])}x / ${ratio(recovery.repeated[b], recovery.repeated[p])}x`).join('; ')} | ${verdict(EQUAL_SETTINGS.every(([b, p]) => recovery.first[b] <= recovery.first[p] && recovery.repeated[b] <= recovery.repeated[p]))} |`,
  `| soak (${plan.soak.workers} workers, ${plan.soak.restarts} restarts, ${plan.soak.seconds} s): daemon and agent RSS start → end ≤ +10 % | ${soakGrowth('start')} | ${verdict(soakWithin('start'))} |`,
  `| … the same from the baseline after ${soak.warmup} restarts (the allocator's high-water mark reached) | ${soakGrowth('baseline')} | ${verdict(soakWithin('baseline'))} |`,
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
  '**dev reloads.** A save reaches bun\'s watcher the same way in both; under `dev` the reloaded process',
  'then loads PM2\'s bun container, bun-pm\'s entry and preload before the worker\'s code (a few ms of',
  'module loading), which is the difference. Its median moved between 1.05x and 1.6x from one full',
  'run to the next on this machine (100 saves each), so one run proves little either way;',
  'taking the container out would mean running bun workers outside PM2\'s fork mode.',
  '',
)

say(`Whole run: ${((performance.now() - began) / 1000).toFixed(0)} s.`)
write(join(REPO, quick ? 'bench/RESULTS-quick.md' : 'bench/RESULTS.md'), `${lines.join('\n')}\n`)
