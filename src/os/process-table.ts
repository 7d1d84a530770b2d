// The process table as bun-pm asks it, one interface for its two backends: /proc (os/proc-table.ts)
// and `ps` (os/ps-table.ts). os/processes.ts picks one and builds the rest on top.

/** What the table says of one process now. */
export interface ProcessInfo {
  ppid: number
  pgid: number
  /** Its start time, in the backend's own form: with the pid, it names one process for good. */
  start: string
  /** False for a zombie (a process that has ended and waits for its parent to reap it). */
  runs: boolean
}

export interface ProcessTable {
  /** Every pid on the machine. */
  allPids: () => number[]
  /** One process's fields; undefined when it is gone or cannot be read at this instant. */
  info: (pid: number) => ProcessInfo | undefined
  /**
   * Whether a process that exists still runs (is no zombie), as far as one cheap look tells:
   * undefined when it would cost a look at the whole table (`ps`), which `isAlive`, asked in
   * loops, does not pay for.
   */
  runs: (pid: number) => boolean | undefined
  /** The real uid it runs as, if it can be read. */
  uidOf: (pid: number) => number | undefined
  /** Its command line, the arguments joined by spaces ('' when it cannot be read). */
  cmdlineOf: (pid: number) => string
  /** Its `KEY=value` entries (empty when they cannot be read: gone, or another user's). */
  environOf: (pid: number) => string[]
  /** Every descendant of `roots`, not the roots. */
  descendantsOf: (roots: number[]) => number[]
  /** The processes whose environment holds one of `entries` (`KEY=value`), from one look at the table. */
  pidsWithEnvironment: (entries: string[]) => number[]
}

/** Every descendant of `roots` (not the roots), from each process's parent. Pure. */
export function descendantsInTable(rows: { pid: number, ppid: number }[], roots: number[]): number[] {
  const children = new Map<number, number[]>()
  for (const { pid, ppid } of rows)
    (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(pid)
  const found: number[] = []
  const queue = [...roots]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (!found.includes(child) && !roots.includes(child)) {
        found.push(child)
        queue.push(child)
      }
    }
  }
  return found
}
