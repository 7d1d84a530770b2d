// The workspace's workers as PM2 and the health agent see them, as a table or JSON (`status`, and
// `stop`/`restart` after they act).

import { formatTable, toStatusRows } from '../report/status-table.ts'
import { agentName, isInDaemonAgentPid } from '../model/agent-spec.ts'
import { readSnapshot, stateFilePath } from '../agent/state-file.ts'
import type { AgentJson, StatusJson } from '../types/json.ts'
import type { ProcView } from '../pm2/process-view.ts'
import { agentAdvice, sourceLine, type Target, targetProcs } from './target.ts'

/** The namespace's health agent as `status --json` shows it. */
function agentView(procs: ProcView[], namespace: string): AgentJson {
  const proc = procs.find(p => p.namespace === namespace && p.name === agentName(namespace))
  const running = proc?.status === 'online' && proc.pid !== null
  return { name: agentName(namespace), running, pid: running ? proc!.pid : null, memoryMb: running && proc!.memory !== null ? Math.round(proc!.memory / 1024 / 1024) : null }
}

export function printStatus(all: ProcView[], target: Target, json: boolean): void {
  const { namespace } = target.workspace
  const agent = agentView(all, namespace)
  const rows = toStatusRows(targetProcs(all, target), target.workers, {
    snapshot: readSnapshot(stateFilePath(target.home, namespace)),
    agentRunning: agent.running,
    agentAdvice: agentAdvice(target.source),
  })
  if (json) {
    const { source } = target
    const output: StatusJson = { namespace, pm2Home: target.home, daemon: source.kind, devSession: source.kind === 'dev' ? { pid: source.launcherPid } : null, agent, workers: rows }
    console.log(JSON.stringify(output, null, 2))
    return
  }
  console.log(sourceLine(target))
  console.log(formatTable(rows, ['name', 'group', 'pid', 'status', 'health', 'last ok', 'memory', 'restarts', 'uptime', 'interpreter', 'reason']))
  if (all.some(p => p.namespace === namespace))
    console.log(agent.running ? `health checks: ${agent.name} (${isInDaemonAgentPid(agent.pid!) ? 'inside the PM2 daemon' : `pid ${agent.pid}, ${agent.memoryMb ?? '?'} MB`})` : `health checks: ${agent.name} is not running; ${agentAdvice(target.source)} again`)
}
