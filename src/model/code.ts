// Which files are a worker's code, for its version: its script and every file of the project it
// imports, transitively. Packages in node_modules count by the lockfile instead. Pure: reading
// and resolving come in.

/** A file a worker imports is the project's own code, not a package's (those the lockfile pins) nor a builtin. */
export function isOwnCode(resolved: string): boolean {
  return resolved.startsWith('/') && !resolved.includes('/node_modules/') && !resolved.includes('/.bun/install/cache/')
}

/** Files whose imports are read: JavaScript and TypeScript. Others (JSON, text, wasm) are digested as they are. */
export function isScanned(path: string): boolean {
  return /\.[cm]?[jt]sx?$/.test(path)
}

/**
 * The files reachable from `entry` through `importsOf` (each file's own-code imports, resolved to
 * absolute paths), `entry` first, each once, in a stable order.
 */
export function codeFiles(entry: string, importsOf: (path: string) => string[]): string[] {
  const seen = new Set<string>([entry])
  const queue = [entry]
  for (let i = 0; i < queue.length; i++) {
    for (const next of importsOf(queue[i]!)) {
      if (!seen.has(next)) {
        seen.add(next)
        queue.push(next)
      }
    }
  }
  return [entry, ...[...seen].slice(1).sort()]
}

/** The lockfiles that pin a project's packages, in the order they are looked for. */
export const LOCKFILES = ['bun.lock', 'bun.lockb', 'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml']
