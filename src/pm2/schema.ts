import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

interface SchemaEntry { alias?: string | string[] }

let cached: Set<string> | undefined

/**
 * Every start option the installed PM2 accepts, with its aliases, read from PM2's own schema
 * (lib/API/schema.json), so that the list follows the pm2 version bun-pm runs with.
 */
export function pm2OptionNames(): Set<string> {
  if (cached)
    return cached
  const path = createRequire(import.meta.url).resolve('pm2/lib/API/schema.json')
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, SchemaEntry>
  cached = new Set<string>()
  for (const [key, entry] of Object.entries(schema)) {
    // Pattern keys (`^env_\S*$`) are not names; bun-pm refuses env_<name> with a hint of its own.
    if (!key.startsWith('^'))
      cached.add(key)
    for (const alias of [entry.alias ?? []].flat())
      cached.add(alias)
  }
  return cached
}
