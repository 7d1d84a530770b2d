// `start --dry-run`: what a deploy would do, worker by worker, and why — read from the daemon
// that runs (never one started for it), with nothing started, stopped or written.
import { readFileSync } from 'node:fs'
import { dryRunRows, formatDryRun } from '../report/dry-run.ts'
import { connectLight } from '../pm2/light-client.ts'
import type { DryRunJson } from '../types/json.ts'
import { portFactsOf } from '../supervise/apply.ts'
import { reconcile, toDesired } from '../supervise/reconcile.ts'
import { type Strategy, strategyFor } from '../supervise/rollout.ts'
import type { Plan } from '../plan/resolve-plan.ts'
import { daemonRunning, userPm2Home } from '../pm2/home.ts'

export async function runDryRun(plan: Plan, { json }: { json: boolean }): Promise<number> {
  const home = userPm2Home()
  const { workspace } = plan
  const running = daemonRunning(home)
  const client = running ? await connectLight(home) : undefined
  const procs = client ? await client.list() : []
  client?.disconnect()
  const activated = new Set(workspace.workers.filter(w => w.activated).map(w => w.name))
  const reconciled = reconcile(procs, workspace.namespace, plan.workers.map(toDesired), { shouldRemove: name => !activated.has(name) }, home)
  const strategies = new Map<string, Strategy>()
  for (const wp of reconciled.workers) {
    const replace = wp.units.find(u => u.action === 'replace')
    const worker = plan.workers.find(w => w.name === wp.name)!
    if (replace && replace.action === 'replace')
      strategies.set(wp.name, strategyFor({ mode: 'start', policy: worker.health, ports: portFactsOf(replace.old) }))
  }
  const known = new Set(workspace.workers.map(w => w.name))
  const rows = dryRunRows(reconciled, plan.workers, strategies, name => known.has(name) ? 'deactivated (activated: false)' : 'no longer in the config')
  if (json) {
    const output: DryRunJson = { dryRun: true, namespace: workspace.namespace, pm2Home: home, daemonRunning: running, workers: rows }
    console.log(JSON.stringify(output, null, 2))
    return 0
  }
  console.log(`dry run: nothing is started or stopped (PM2 home ${home}${running ? '' : ', where no daemon runs yet'}, namespace ${workspace.namespace})`)
  console.log(formatDryRun(rows))
  if (rows.some(r => r.strategy?.kind === 'surge') && readOr('/proc/sys/net/ipv4/tcp_migrate_req').trim() === '0')
    console.log('note: a client that opens a connection per request can be reset in the moment an old process closes its port (keep-alive clients rarely: bun-pm\'s `serve` moves them first); `sysctl -w net.ipv4.tcp_migrate_req=1` (Linux 5.14+) has the kernel hand what waits there to the new process')
  return 0
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  }
  catch {
    return ''
  }
}
