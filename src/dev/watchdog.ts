// Run by `dev` as a detached process: `bun watchdog.ts <pm2-home> <launcher-pid> <launcher-start>`.
// When the launcher is gone (exited, crashed, SIGKILLed), it ends every process of the session and
// removes the session's PM2 home, so that nothing outlives `dev`.
import { isSameProcess, sweepSession } from './session.ts'

const [home, pid, start] = process.argv.slice(2)
const launcherPid = Number(pid)
const POLL_MS = 100
const GRACE_MS = 3000

if (!home || !launcherPid || !start) {
  console.error('usage: watchdog.ts <pm2-home> <launcher-pid> <launcher-start>')
  process.exit(2)
}

const timer = setInterval(async () => {
  if (isSameProcess(launcherPid, start))
    return
  clearInterval(timer)
  await sweepSession(home, { graceMs: GRACE_MS, exclude: [launcherPid] })
  process.exit(0)
}, POLL_MS)
