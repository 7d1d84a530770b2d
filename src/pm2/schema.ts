// What the installed PM2 accepts as start options, read from PM2's own files (its schema, its
// validator, its cron parser and its user lookup), so that a config PM2 would refuse at spawn is
// refused when it loads, with the file, the worker and the fix.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Pm2Rules } from '../types/config.ts'

interface SchemaEntry { alias?: string | string[] }

const require = createRequire(import.meta.url)
let cached: Set<string> | undefined

/**
 * Every start option the installed PM2 accepts, with its aliases, read from PM2's own schema
 * (lib/API/schema.json), so that the list follows the pm2 version bun-pm runs with.
 */
export function pm2OptionNames(): Set<string> {
  if (cached)
    return cached
  const path = require.resolve('pm2/lib/API/schema.json')
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

/** The installed PM2's rules, for validating a config (validate-workspace.ts takes them as data). */
export function pm2Rules(): Pm2Rules {
  return { names: pm2OptionNames(), errors: pm2OptionErrors, runAs: options => runAsErrors(options) }
}

/** Options whose values bun-pm reads and turns into what PM2 gets: not PM2's to judge as written. */
const BUN_PM_READS = new Set(['instances', 'interpreter', 'env', 'health', 'passEnv'])

/**
 * What PM2's own validator (lib/tools/Config.js, run on every start) and its cron parser would
 * refuse in one level of options, as sentences: `` `kill_timeout` must be a number, not "abc" ``.
 */
export function pm2OptionErrors(options: Record<string, unknown>): string[] {
  const judged = Object.fromEntries(Object.entries(options).filter(([key]) => !BUN_PM_READS.has(key)))
  const config = require('pm2/lib/tools/Config.js') as { validateJSON: (json: unknown) => { errors: string[] } }
  const errors = config.validateJSON(judged).errors.map(error => explainPm2Error(error, judged))
  const cron = judged.cron_restart ?? judged.cron
  if (cron !== undefined && cron !== 0 && cron !== '0') {
    try {
      cronParser()(String(cron))
    }
    catch (error) {
      errors.push(`\`cron_restart\` ${JSON.stringify(cron)} is not a cron pattern PM2 reads (${(error as Error).message.replace(/^CronPattern: /, '')}); write five or six fields, e.g. '0 3 * * *'`)
    }
  }
  return errors
}

function cronParser(): (pattern: string) => unknown {
  return createRequire(require.resolve('pm2/package.json'))('croner') as (pattern: string) => unknown
}

/** PM2's messages ('Expect "x" to be a typeof [object Number], but now is [object String]') said for a person. */
function explainPm2Error(error: string, options: Record<string, unknown>): string {
  const typed = /^Expect "(.+)" to be a typeof (.+), but now is/.exec(error)
  if (typed) {
    const types = typed[2]!.replace(/\[object (\w+)\]/g, (_, t: string) => t.toLowerCase()).replace(/ \/ /g, ' or ')
    return `\`${typed[1]}\` must be ${/^[aeiou]/.test(types) ? 'an' : 'a'} ${types}, not ${JSON.stringify(options[typed[1]!])}`
  }
  const regex = /^Verify "(.+)" with regex failed, (.+)$/.exec(error)
  if (regex)
    return `\`${regex[1]}\` ${JSON.stringify(options[regex[1]!])} is not what PM2 reads: ${regex[2]}`
  const bound = /^The (maximum|minimum) of "(.+)" is (.+), but now is (.+)$/.exec(error)
  if (bound)
    return `\`${bound[2]}\` ${bound[4]} is ${bound[1] === 'minimum' ? 'below' : 'above'} PM2's ${bound[1]}, ${bound[3]}`
  return error
}

/**
 * What PM2 checks when it starts a process that runs as another user (`uid`/`user`, `gid`): bun-pm
 * must run as root, and the user and group must be in /etc/passwd and /etc/group, as PM2 reads
 * them (lib/tools/passwd.js). Sentences, for the config's one-line error.
 */
export function runAsErrors(options: { uid?: unknown, user?: unknown, gid?: unknown }, uid = process.getuid?.()): string[] {
  const user = options.uid ?? options.user
  const group = options.gid
  if (user === undefined && group === undefined)
    return []
  const field = options.uid !== undefined ? 'uid' : options.user !== undefined ? 'user' : 'gid'
  if (uid !== 0)
    return [`\`${field}\` needs bun-pm to run as root: PM2 starts a process as another user only then; run it as root (sudo), or remove \`${field}\``]
  const passwd = require('pm2/lib/tools/passwd.js') as { getUsers: () => Record<string, unknown>, getGroups: () => Record<string, unknown> | Error }
  const errors: string[] = []
  if (user !== undefined && !passwd.getUsers()[String(user)])
    errors.push(`\`${options.uid !== undefined ? 'uid' : 'user'}\` ${JSON.stringify(user)} is no user of this machine (not in /etc/passwd); create it (useradd ${user}) or name an existing one`)
  const groups = group === undefined ? {} : passwd.getGroups()
  if (group !== undefined && (groups instanceof Error || !groups[String(group)]))
    errors.push(`\`gid\` ${JSON.stringify(group)} is no group of this machine (not in /etc/group); create it (groupadd ${group}) or name an existing one`)
  return errors
}
