// An argument list as PM2 reads one, for `start` and for `export` alike. Pure.

/** An argument list as PM2 reads one (pm2/lib/tools/Config.js): a string is split on spaces, quotes kept together. */
export function toList(value: string | string[] | undefined): string[] {
  if (value === undefined)
    return []
  if (Array.isArray(value))
    return value.map(String)
  return (String(value).match(/[^\s"'=]+="[^"]*"|[^\s"'=]+='[^']*'|"([^"]*)"|'([^']*)'|\S+/g) ?? [])
    .map(word => /^(["']).*\1$/.test(word) ? word.slice(1, -1) : word)
    .filter(word => word.trim())
}
