// Run by `dev` as a detached process: `bun watchdog.ts <pm2-home> <launcher-pid> <launcher-start>`,
// the session's token in its environment. When the launcher is gone (exited, crashed, SIGKILLed),
// it ends every process of the session and removes the session's PM2 home, so that nothing
// outlives `dev`: the processes that carry the token and all that descended from the launcher
// (a worker's child that cleared its environment and left its group), which it notes while it waits.
import { descendantsOf, isGoneForSure, known, type KnownProcess } from '../os/processes.ts'
import { sweepSession, WATCHDOG_TOKEN_KEY } from './session.ts'

const [home, pid, start] = process.argv.slice(2)
const token = process.env[WATCHDOG_TOKEN_KEY]
const launcherPid = Number(pid)
const POLL_MS = 100
const ADOPTED_EVERY_MS = 500
const GRACE_MS = 3000

if (!home || !launcherPid || !start || !token) {
  console.error(`usage: ${WATCHDOG_TOKEN_KEY}=<token> watchdog.ts <pm2-home> <launcher-pid> <launcher-start>`)
  process.exit(2)
}

// Everything below the launcher, by pid and start time: once it dies, they are handed to init.
const adopted = new Map<string, KnownProcess>()
let lastLook = 0
let looking = false
const timer = setInterval(async () => {
  if (looking)
    return
  looking = true
  const gone = await isGoneForSure(launcherPid, start)
  looking = false
  if (!gone) {
    if (Date.now() - lastLook >= ADOPTED_EVERY_MS) {
      lastLook = Date.now()
      for (const p of known(descendantsOf([launcherPid]).filter(pid => pid !== process.pid)))
        adopted.set(`${p.pid}:${p.start}`, p)
    }
    return
  }
  clearInterval(timer)
  await sweepSession(home, token, { graceMs: GRACE_MS, exclude: [launcherPid], adopted: [...adopted.values()], keepLogs: true })
  process.exit(0)
}, POLL_MS)
