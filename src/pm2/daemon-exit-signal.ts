// Preloaded into the PM2 daemons bun-pm spawns: the signal that ended a process, beside its exit code, for the health agent.
//
// PM2 hands on `code || 0`: a worker killed by SIGKILL (the OOM killer, `kill -9`) reads as
// "exit code 0", and a one-shot job killed so would count as done. Here each exit also leaves
// `exit_signal` in the process's pm2_env (null when it exited by itself), which the bus carries.

interface Exited { pm2_env?: Record<string, unknown> }

function install(): void {
  // eslint-disable-next-line ts/no-require-imports
  const God = require('pm2/lib/God.js') as { handleExit: (clu: Exited, code: number, signal?: string | null) => unknown }
  const handleExit = God.handleExit
  God.handleExit = function (this: unknown, clu: Exited, code: number, signal?: string | null) {
    if (clu?.pm2_env)
      clu.pm2_env.exit_signal = signal ?? null
    return handleExit.call(this, clu, code, signal)
  }
}

install()
