import { describe, expect, test } from 'bun:test'
import { answeringPids, listenersIn } from '../../src/os/lsof-sockets.ts'
import { descendantsInTable } from '../../src/os/process-table.ts'
import { environFromPs, lineHoldsEntry, parseLsof, parsePsTable, runsPerPsStat } from '../../src/os/ps-output.ts'

// Captured from procps-ng 4.0.2 (Debian), `LC_ALL=C TZ=UTC ps -A -ww -o pid=,ppid=,pgid=,uid=,stat=,lstart=,args=`.
const PROCPS = `    1     0     0     0 S<Ll Mon Dec  7 05:10:07 2026 /process_api --firecracker-init --addr 0.0.0.0:2024
    2     0     0     0 S    Mon Dec  7 05:10:07 2026 [kthreadd]
10961     1 10961  1000 Ssl  Mon Dec  7 05:16:17 2026 /usr/bin/bun --preload /p/daemon-logs.js /p/node_modules/pm2/lib/Daemon.js
10978 10961 10978  1000 Zl   Mon Dec 17 15:16:17 2026 /usr/bin/bun --no-env-file /p/node_modules/pm2/lib/ProcessContainerForkBun.js
10990 10978 10978  1000 Z    Mon Dec 17 15:16:18 2026 [node] <defunct>
`

// Written from the macOS ps(1) man page (BSD ps: `lstart` is ctime's form in a 28-wide column,
// `stat` without procps's `l`), not captured on a Mac: `ps -A -ww -o pid=,ppid=,pgid=,uid=,stat=,lstart=,args=`.
const MACOS = `    1     0     1     0 Ss   Mon Dec  7 09:12:01 2026     /sbin/launchd
  612     1   612   501 S    Mon Dec  7 09:12:40 2026     /Applications/Ghostty.app/Contents/MacOS/ghostty
 4242   612  4242   501 S+   Tue Dec  8 10:01:02 2026     /Users/ada/.bun/bin/bun /Users/ada/app/node_modules/bun-pm/dist/index.js dev
 4250  4242  4250   501 Z    Tue Dec  8 10:01:03 2026     (bun)
`

describe('ps', () => {
  test('procps rows: pid, parent, group, uid, state, start time with single spaces, the whole command', () => {
    const rows = parsePsTable(PROCPS)
    expect(rows.map(r => r.pid)).toEqual([1, 2, 10961, 10978, 10990])
    expect(rows[2]).toEqual({ pid: 10961, ppid: 1, pgid: 10961, uid: 1000, stat: 'Ssl', start: 'Mon Dec 7 05:16:17 2026', command: '/usr/bin/bun --preload /p/daemon-logs.js /p/node_modules/pm2/lib/Daemon.js' })
    expect(rows[3]!.start).toBe('Mon Dec 17 15:16:17 2026')
    expect(rows[1]!.command).toBe('[kthreadd]')
  })

  test('macOS rows (from the man page): the wider lstart column is read the same', () => {
    const rows = parsePsTable(MACOS)
    expect(rows.map(r => [r.pid, r.ppid, r.pgid, r.uid])).toEqual([[1, 0, 1, 0], [612, 1, 612, 501], [4242, 612, 4242, 501], [4250, 4242, 4250, 501]])
    expect(rows[2]).toMatchObject({ stat: 'S+', start: 'Tue Dec 8 10:01:02 2026', command: '/Users/ada/.bun/bin/bun /Users/ada/app/node_modules/bun-pm/dist/index.js dev' })
  })

  test('a header, a blank line or a cut line is no row', () => {
    expect(parsePsTable('  PID  PPID  PGID   UID STAT STARTED COMMAND\n\n  12 1 1 0 S Mon\n')).toEqual([])
  })

  test('a zombie has ended, unless procps says it has threads still (bun --watch in execve)', () => {
    const stat = Object.fromEntries(parsePsTable(PROCPS + MACOS).map(r => [r.pid, r.stat]))
    expect(runsPerPsStat(stat[10961]!)).toBe(true)
    expect(runsPerPsStat(stat[10978]!)).toBe(true)
    expect(runsPerPsStat(stat[10990]!)).toBe(false)
    expect(runsPerPsStat(stat[4250]!)).toBe(false)
    expect(runsPerPsStat(stat[4242]!)).toBe(true)
  })

  test('descendants come from the parents in the table, the roots left out', () => {
    const rows = parsePsTable(PROCPS + MACOS)
    expect(descendantsInTable(rows, [10961]).sort()).toEqual([10978, 10990])
    expect(descendantsInTable(rows, [612])).toEqual([4242, 4250])
    expect(descendantsInTable(rows, [4250])).toEqual([])
  })

  test('the environment is what follows the command line; a value with spaces stays one entry', () => {
    const command = 'bun /home/ada/app/tick.ts --port 3000'
    const withEnv = `${command} HOME=/home/ada PM2_HOME=/Users/Ada Lovelace/.cache/bun-pm/dev/abc BUN_PM_DEV_SESSION=0123456789abcdef0123456789abcdef EMPTY=`
    expect(environFromPs(withEnv, command)).toEqual(['HOME=/home/ada', 'PM2_HOME=/Users/Ada Lovelace/.cache/bun-pm/dev/abc', 'BUN_PM_DEV_SESSION=0123456789abcdef0123456789abcdef', 'EMPTY='])
    // An argument shaped like an entry is the command's, not the environment's.
    expect(environFromPs('env FOO=1 sleep 9 FOO=2', 'env FOO=1 sleep 9')).toEqual(['FOO=2'])
    expect(environFromPs('[kthreadd]', '[kthreadd]')).toEqual([])
  })

  test('an entry is found in a line only whole: not as the start of a longer value', () => {
    const line = 'bun tick.ts PM2_HOME=/run/bun-pm/abc1 BUN_PM_DEV_SESSION=ff'
    expect(lineHoldsEntry(line, 'PM2_HOME=/run/bun-pm/abc1')).toBe(true)
    expect(lineHoldsEntry(line, 'PM2_HOME=/run/bun-pm/abc')).toBe(false)
    expect(lineHoldsEntry(line, 'BUN_PM_DEV_SESSION=ff')).toBe(true)
    expect(lineHoldsEntry(line, 'DEV_SESSION=ff')).toBe(false)
  })
})

// Captured from lsof 4.95 (Debian), `lsof -nP -w -Ts -F pcftTn -iTCP`: one listener on each family,
// an accepted connection and the client's end of it in another process.
const LSOF_LINUX = `p7791
cbun
f5
tIPv6
n*:44679
TST=LISTEN
TQR=0
TQS=0
f6
tIPv4
n127.0.0.1:39055
TST=LISTEN
TQR=0
TQS=0
f7
tIPv4
n127.0.0.1:39055->127.0.0.1:51234
TST=ESTABLISHED
p8000
ccurl
f3
tIPv4
n127.0.0.1:51234->127.0.0.1:39055
TST=ESTABLISHED
`

// Written from the lsof(8) man page's field output as macOS's lsof prints it (IPv6 in brackets), not captured on a Mac.
const LSOF_MACOS = `p4242
cbun
f21
tIPv6
n[::1]:3000
TST=LISTEN
f22
tIPv4
n*:3000
TST=LISTEN
p4300
cnode
f19
tIPv6
n[::ffff:127.0.0.1]:3000->[::ffff:127.0.0.1]:60000
TST=ESTABLISHED
`

describe('lsof', () => {
  test('sockets: holder, family, both ends, state', () => {
    const sockets = parseLsof(LSOF_LINUX)
    expect(sockets).toHaveLength(4)
    expect(sockets[0]).toEqual({ pid: 7791, command: 'bun', family: 6, localAddress: '*', localPort: 44679, state: 'LISTEN' })
    expect(sockets[2]).toEqual({ pid: 7791, command: 'bun', family: 4, localAddress: '127.0.0.1', localPort: 39055, remoteAddress: '127.0.0.1', remotePort: 51234, state: 'ESTABLISHED' })
    expect(parseLsof(LSOF_MACOS)[0]).toMatchObject({ pid: 4242, family: 6, localAddress: '::1', localPort: 3000 })
    expect(parseLsof('')).toEqual([])
  })

  test('who answered: the holder of the server end of that very connection, else the listeners', () => {
    const linux = parseLsof(LSOF_LINUX)
    expect(answeringPids(linux, 39055, 51234)).toEqual({ pids: [7791], exact: true })
    // The client's own end (port 51234 -> 39055) is never taken for the server's.
    expect(answeringPids(linux, 51234, 39055)).toEqual({ pids: [8000], exact: true })
    expect(answeringPids(linux, 39055, 50000)).toEqual({ pids: [7791], exact: false })
    const mac = parseLsof(LSOF_MACOS)
    expect(answeringPids(mac, 3000, 60000)).toEqual({ pids: [4300], exact: true })
    expect(answeringPids(mac, 3000, undefined)).toEqual({ pids: [4242], exact: false })
    expect(answeringPids(mac, 4000, undefined)).toEqual({ pids: [], exact: false })
  })

  test('listeners of a tree, in the tables\' form (what reuse-port binds beside), once each', () => {
    const sockets = [...parseLsof(LSOF_LINUX), ...parseLsof(LSOF_MACOS)]
    expect(listenersIn(sockets, [7791])).toEqual([
      { port: 44679, address: '0'.repeat(32), family: 6 },
      { port: 39055, address: '0100007F', family: 4 },
    ])
    expect(listenersIn(sockets, [4242])).toEqual([
      { port: 3000, address: '00000000000000000000000001000000', family: 6 },
      { port: 3000, address: '00000000', family: 4 },
    ])
    expect(listenersIn(sockets, [8000])).toEqual([])
  })
})
