// The health agent as a process of its own: run by PM2 in a workspace's namespace (`bun agent.ts`,
// its spec in BUN_PM_AGENT) where the daemon cannot host it (one bun-pm did not spawn: pm2-runtime,
// PM2's own CLI). It exits with its parent, the daemon, and on SIGTERM/SIGINT. See run.ts.
import { connectLight } from '../pm2/light-client.ts'
import { AGENT_SPEC_KEY } from '../model/agent-spec.ts'
import type { AgentSpec } from '../types/agent.ts'
import { runAgent } from './run.ts'

const booted = JSON.parse(process.env[AGENT_SPEC_KEY] ?? 'null') as AgentSpec | null
const home = process.env.PM2_HOME
if (!booted || !home) {
  console.error(`health agent: ${AGENT_SPEC_KEY} and PM2_HOME must be set; bun-pm starts this agent itself`)
  process.exit(2)
}

// PM2's bun container require()s this file: no top-level await.
void main(booted, home)

async function main(booted: AgentSpec, home: string): Promise<void> {
  const agent = await runAgent({
    booted,
    home,
    pid: process.pid,
    connect: connectLight,
    send: message => process.send?.(message),
    onMessage: listener => void process.on('message', listener),
    log: line => console.log(line),
  })

  // Its parent is the PM2 daemon: without it there is nothing to watch.
  process.once('disconnect', () => process.exit(0))

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      agent.stop()
      process.exit(0)
    })
  }
}
