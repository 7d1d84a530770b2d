// Bench only (bench/scale.ts): preloaded into a PM2 daemon — bun-pm's through BUN_OPTIONS, the
// tuned PM2 CLI's (Node) through NODE_OPTIONS=--require — it times, per app, what PM2's daemon
// does between receiving an app and answering for it: God.prepare, God.executeApp, the log
// streams (Utility.startLogging), child_process.spawn; and, for the whole start, the daemon's CPU
// time and how late its event loop ran. Written as JSON lines to BUN_PM_DAEMON_TIMINGS. Any other
// process that loads it (the launcher, a worker) does nothing. BUN_PM_BENCH_EXIT=1 makes the daemon
// exit once the bench says every worker answered, so that a `--cpu-prof` of it gets written.
'use strict'
const out = process.env.BUN_PM_DAEMON_TIMINGS
if (out && process.argv.some(arg => arg.endsWith('Daemon.js'))) {
  const fs = require('node:fs')
  const path = require('node:path')
  const lib = path.join(process.env.BUN_PM_BENCH_PM2, 'lib')
  const God = require(path.join(lib, 'God.js'))
  const Utility = require(path.join(lib, 'Utility.js'))
  const childProcess = require('node:child_process')
  const now = () => performance.timeOrigin + performance.now()
  const write = record => fs.appendFileSync(out, `${JSON.stringify(record)}\n`)
  const cpu0 = process.cpuUsage()
  write({ kind: 'boot', at: now(), runtime: typeof Bun === 'undefined' ? `node ${process.version}` : `bun ${Bun.version}` })

  // The current app of each synchronous stretch (PM2 calls these nested, on one stack).
  let current
  const timed = (object, key, label) => {
    const original = object[key]
    object[key] = function (...args) {
      const started = now()
      const result = original.apply(this, args)
      if (current)
        current[label] = (current[label] ?? 0) + (now() - started)
      return result
    }
  }
  timed(childProcess, 'spawn', 'spawnMs')

  const originalPrepare = God.prepare
  God.prepare = function (env, cb) {
    const app = { kind: 'app', name: env.name, received: now() }
    // Written once both are known: the answer can come within prepare's own call (bun-pm's logs open synchronously).
    let syncDone = false
    const done = (...args) => {
      app.answered = now()
      app.replyBytes = JSON.stringify(args[1] ?? null)?.length ?? 0
      if (syncDone)
        write(app)
      return cb(...args)
    }
    current = app
    app.inPrepare = true
    try {
      return originalPrepare.call(this, env, done)
    }
    finally {
      app.prepareSyncMs = now() - app.received
      app.inPrepare = false
      current = undefined
      syncDone = true
      if (app.answered !== undefined)
        write(app)
    }
  }
  const originalLogging = Utility.startLogging
  Utility.startLogging = function (stds, callback) {
    const app = current
    const started = now()
    return originalLogging.call(this, stds, (...args) => {
      // Opened within prepare's own call: its time is in prepareSyncMs already.
      const later = app && !app.inPrepare
      if (app) {
        app.loggingMs = now() - started
        current = app
      }
      try {
        return callback(...args)
      }
      finally {
        if (later) {
          app.afterLoggingSyncMs = now() - started - app.loggingMs
          current = undefined
        }
      }
    })
  }

  // Each list (getMonitorData: `status`, `pm2 jlist`, the agent): the formatting of every
  // process (an object per process, its pm2_env shared), then the whole (pidusage's CPU and
  // memory) until the answer. No bench reads these lines: they are for reading the file by hand.
  const formatted = God.getFormatedProcesses
  let formatMs = 0
  God.getFormatedProcesses = function (...args) {
    const started = now()
    try {
      return formatted.apply(this, args)
    }
    finally {
      formatMs = now() - started
    }
  }
  const monitor = God.getMonitorData
  God.getMonitorData = function (env, cb) {
    const started = now()
    return monitor.call(this, env, (error, list) => {
      const answered = now()
      const result = cb(error, list)
      write({ kind: 'list', at: started, processes: Array.isArray(list) ? list.length : 0, formatMs, totalMs: answered - started, replyMs: now() - answered, bytes: JSON.stringify(list ?? null).length })
      return result
    })
  }

  // What the daemon broadcasts on its bus (every subscriber gets all of it): events and bytes, by type.
  const bus = {}
  const emit = God.bus.emit
  God.bus.emit = function (type, data, ...rest) {
    const entry = (bus[type] ??= { events: 0, bytes: 0 })
    entry.events++
    try {
      entry.bytes += JSON.stringify(data)?.length ?? 0
    }
    catch {}
    return emit.call(this, type, data, ...rest)
  }

  // Event loop lag: how late a 10 ms timer fires, summed, while apps come in.
  let expected = now() + 10
  let lagMs = 0
  let worstLagMs = 0
  const timer = setInterval(() => {
    const late = Math.max(0, now() - expected)
    lagMs += late
    worstLagMs = Math.max(worstLagMs, late)
    expected = now() + 10
  }, 10)
  timer.unref()
  // Asked by the bench once every worker answered (a file it touches).
  const trigger = `${out}.done`
  const poll = setInterval(() => {
    if (!fs.existsSync(trigger))
      return
    clearInterval(poll)
    const cpu = process.cpuUsage(cpu0)
    write({ kind: 'summary', at: now(), cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, lagMs, worstLagMs, rssMb: process.memoryUsage().rss / 2 ** 20, bus })
    // A CPU profile (bun --cpu-prof) is written when the process exits on its own.
    if (process.env.BUN_PM_BENCH_EXIT)
      process.exit(0)
  }, 20)
  poll.unref()
}
