// What `ps` and `lsof` print, read: the process table of the portable backend (macOS, and Linux
// with BUN_PM_OS=portable) and which process holds a TCP socket. Pure.

/**
 * The columns asked of `ps`, each with an empty header: names both procps (Linux) and BSD ps
 * (macOS) accept. `lstart` is the start time to the second, the same on both; with the pid it
 * names one process across pid reuse (a pid comes back only after the counter wraps).
 */
export const PS_COLUMNS = 'pid=,ppid=,pgid=,uid=,stat=,lstart=,args='

/** One process as `ps -o PS_COLUMNS` shows it. */
export interface PsRow {
  pid: number
  ppid: number
  pgid: number
  uid: number
  /** The state letters: `Z` first for a zombie; procps adds `l` for more than one thread. */
  stat: string
  /** `lstart` with its spaces made single: `Mon Dec 7 05:10:07 2026` (ps runs with LC_ALL=C, TZ=UTC). */
  start: string
  /** The arguments joined by spaces, with the environment after them when ps was asked for it. */
  command: string
}

// pid ppid pgid uid stat, then lstart's five words (weekday, month, day, time, year), then the command.
const ROW = /^\s*(\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(\S+)\s+([A-Z][a-z]{2}\s+[A-Z][a-z]{2}\s+\d{1,2}\s+\d{1,2}:\d{2}:\d{2}\s+\d{4})(?: (.*))?$/

/** The rows of `ps -o PS_COLUMNS` (lines it cannot read are left out). Pure. */
export function parsePsTable(text: string): PsRow[] {
  return text.split('\n').flatMap((line) => {
    const m = ROW.exec(line)
    if (!m)
      return []
    return [{ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), uid: Number(m[4]), stat: m[5]!, start: m[6]!.replace(/\s+/g, ' '), command: (m[7] ?? '').trim() }]
  })
}

/**
 * Whether a process runs, from its state letters: a zombie has ended, unless it has other threads
 * (procps's `l`): a thread that calls execve (bun --watch reloading) first lets the main thread
 * exit, and for that moment the pid shows a zombie with 2 threads (see runsPerStat). BSD ps has
 * no such letter; there a zombie is gone. Pure.
 */
export function runsPerPsStat(stat: string): boolean {
  return !stat.startsWith('Z') || stat.includes('l')
}

const ENTRY_START = /^[A-Z_a-z]\w*=/

/**
 * A process's environment from what ps printed with it (`ps e` on Linux, `ps -E` on macOS): the
 * command line with the entries after it, all joined by spaces, minus the command line alone.
 * An entry's value may hold spaces: a word that does not start `NAME=` belongs to the entry
 * before it (a value that holds ` NAME=` is split there: ps keeps no better boundary). Pure.
 */
export function environFromPs(withEnvironment: string, command: string): string[] {
  const rest = withEnvironment.startsWith(command) ? withEnvironment.slice(command.length) : withEnvironment
  const entries: string[] = []
  for (const word of rest.split(' ')) {
    if (ENTRY_START.test(word))
      entries.push(word)
    else if (entries.length > 0)
      entries[entries.length - 1] += ` ${word}`
  }
  return entries
}

/** Whether `line` (a command line with its environment after it) holds `entry` whole: between spaces or the line's ends. Pure. */
export function lineHoldsEntry(line: string, entry: string): boolean {
  for (let at = line.indexOf(entry); at >= 0; at = line.indexOf(entry, at + 1)) {
    const end = at + entry.length
    if ((at === 0 || line[at - 1] === ' ') && (end === line.length || line[end] === ' '))
      return true
  }
  return false
}

/** One TCP socket a process holds, as `lsof -F pctTn` describes it. */
export interface LsofSocket {
  pid: number
  command: string
  family: 4 | 6
  /** As lsof prints it: `127.0.0.1`, `*` (any), `::1` (brackets dropped). */
  localAddress: string
  localPort: number
  remoteAddress?: string
  remotePort?: number
  /** `LISTEN`, `ESTABLISHED`, `CLOSE_WAIT`...: lsof's TST field. */
  state: string
}

/**
 * The TCP sockets in lsof's field output (`-F pctTn`: a `p` line per process, `c` its command,
 * then per file `f`, `t` IPv4/IPv6, `n` local->remote, `TST=` the state). Pure.
 */
export function parseLsof(text: string): LsofSocket[] {
  const sockets: LsofSocket[] = []
  let pid = 0
  let command = ''
  let current: Partial<LsofSocket> | undefined
  const flush = () => {
    if (current?.localPort !== undefined && current.family !== undefined)
      sockets.push({ pid, command, state: '', ...current } as LsofSocket)
    current = undefined
  }
  for (const line of text.split('\n')) {
    const [tag, value] = [line[0], line.slice(1)]
    if (tag === 'p') {
      flush()
      pid = Number(value)
      command = ''
    }
    else if (tag === 'c') {
      command = value
    }
    else if (tag === 'f') {
      flush()
      current = {}
    }
    else if (tag === 't' && current) {
      current.family = value === 'IPv6' ? 6 : value === 'IPv4' ? 4 : undefined
    }
    else if (tag === 'n' && current) {
      const [local, remote] = value.split('->')
      const l = endpoint(local ?? '')
      const r = remote === undefined ? undefined : endpoint(remote)
      if (l) {
        current.localAddress = l.address
        current.localPort = l.port
      }
      if (r) {
        current.remoteAddress = r.address
        current.remotePort = r.port
      }
    }
    else if (tag === 'T' && current && value.startsWith('ST=')) {
      current.state = value.slice(3)
    }
  }
  flush()
  return sockets
}

/** `127.0.0.1:3000`, `*:3000`, `[::1]:3000`, `[::ffff:127.0.0.1]:3000` as address and port. */
function endpoint(text: string): { address: string, port: number } | undefined {
  const colon = text.lastIndexOf(':')
  const port = Number(text.slice(colon + 1))
  if (colon < 0 || !Number.isInteger(port))
    return undefined
  return { address: text.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port }
}
