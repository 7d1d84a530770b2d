// A process's descendants, from the kernel's list of each thread's children (Linux,
// CONFIG_PROC_CHILDREN): only the process's own tree is read, not every process of the machine.

import { readdirSync, readFileSync } from 'node:fs'

/** The direct children of `pid`, from each of its threads; [] once it is gone. */
export function childrenOf(pid: number): number[] {
  let tasks: string[]
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return []
    throw error
  }
  const kids: number[] = []
  for (const tid of tasks) {
    let text: string
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1')
    }
    catch (error) {
      // A thread that ended between the two reads.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        continue
      throw error
    }
    for (const word of text.split(' ')) {
      if (word !== '')
        kids.push(Number(word))
    }
  }
  return kids
}

/** `pid`'s descendants, each after its own descendants (depth first), as pm2/lib/TreeKill.js orders them. */
export function descendantsOf(pid: number, children: (pid: number) => number[] = childrenOf): number[] {
  const out: number[] = []
  const seen = new Set([pid])
  const collect = (parent: number) => {
    for (const kid of children(parent)) {
      if (seen.has(kid))
        continue
      seen.add(kid)
      collect(kid)
      out.push(kid)
    }
  }
  collect(pid)
  return out
}

