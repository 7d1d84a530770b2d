// `dependsOn`: cycles found, dependencies added to a selection, and work run in start order. Pure.

/** Start order from `dependsOn`: pure, so every rule is tested without a process. */

/** Each worker's dependencies, by name. */
export type Dependencies = Record<string, readonly string[]>

/** A cycle in `deps`, as the names along it with the first one again at the end; undefined when there is none. */
export function findCycle(deps: Dependencies): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>()
  const path: string[] = []
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done')
      return undefined
    if (state.get(name) === 'visiting')
      return [...path.slice(path.indexOf(name)), name]
    state.set(name, 'visiting')
    path.push(name)
    for (const dep of deps[name] ?? []) {
      const cycle = visit(dep)
      if (cycle)
        return cycle
    }
    path.pop()
    state.set(name, 'done')
    return undefined
  }
  for (const name of Object.keys(deps)) {
    const cycle = visit(name)
    if (cycle)
      return cycle
  }
  return undefined
}

/**
 * `names` and everything they depend on, directly or not, in `order` (the config's); `added` says
 * for each name that was not asked for which asked-for worker needs it.
 */
export function withDependencies(names: readonly string[], deps: Dependencies, order: readonly string[]): { names: string[], added: Map<string, string[]> } {
  const wanted = new Set(names)
  const added = new Map<string, string[]>()
  const visit = (name: string, root: string) => {
    for (const dep of deps[name] ?? []) {
      if (!wanted.has(dep)) {
        wanted.add(dep)
        added.set(dep, [])
      }
      const by = added.get(dep)
      if (by && !by.includes(root))
        by.push(root)
      visit(dep, root)
    }
  }
  for (const name of names)
    visit(name, name)
  return { names: order.filter(name => wanted.has(name)), added }
}

/** The reverse relation: for each name, the names that depend on it. */
export function dependents(deps: Dependencies): Dependencies {
  const out: Record<string, string[]> = {}
  for (const [name, list] of Object.entries(deps)) {
    for (const dep of list)
      (out[dep] ??= []).push(name)
  }
  return out
}

/** How one item of `runInOrder` ended. */
export type Outcome = { ok: true } | { ok: false, blockedBy?: string, error?: unknown }

/**
 * Runs `action` for every name as soon as each of its `prerequisites` (among `names`; others are
 * not waited for) has succeeded, so independent items run in parallel. An item whose prerequisite
 * failed does not run and is reported blocked by it.
 */
export async function runInOrder(names: readonly string[], prerequisites: Dependencies, action: (name: string) => Promise<boolean>): Promise<Map<string, Outcome>> {
  const included = new Set(names)
  const runs = new Map<string, Promise<Outcome>>()
  const run = (name: string): Promise<Outcome> => {
    let started = runs.get(name)
    if (!started) {
      started = (async (): Promise<Outcome> => {
        for (const before of (prerequisites[name] ?? []).filter(p => included.has(p))) {
          const outcome = await run(before)
          if (!outcome.ok)
            return { ok: false, blockedBy: before }
        }
        try {
          return await action(name) ? { ok: true } : { ok: false }
        }
        catch (error) {
          return { ok: false, error }
        }
      })()
      runs.set(name, started)
    }
    return started
  }
  const outcomes = await Promise.all(names.map(async name => [name, await run(name)] as const))
  return new Map(outcomes)
}
