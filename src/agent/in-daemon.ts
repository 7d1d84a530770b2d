// Preloaded into the PM2 daemons bun-pm spawns: this install's health agents run inside the daemon
// (src/pm2/daemon-agents.ts says how PM2 still sees each as its app `<namespace>:health`). The
// agent's code loads with the first agent; a daemon without one pays nothing for it.
import { ownFile } from '../bun-pm-files.ts'
import { hostAgents } from '../pm2/daemon-agents.ts'
import { connectOwnLight } from '../pm2/light-client.ts'

hostAgents(ownFile('agent/main'), async (options) => {
  const { runAgent } = await import('./run.ts')
  // Each agent its own sockets: two namespaces', or an agent and its replacement, run side by side.
  return runAgent({ ...options, connect: connectOwnLight })
})
