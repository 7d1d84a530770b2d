// A command line's words as /bin/sh would split them, for `init --from`: enough to know whether a
// Procfile line is a plain script call or needs a shell at run time. Pure.

/** A command line split into words. */
export interface ShellWords {
  /** The words, unquoted, `$PORT` and `${PORT}` expanded. */
  words: string[]
  /** Each word as written (quotes and all). */
  raw: string[]
  /** Where each word ends in the line. */
  ends: number[]
  /** The line needs a shell for more than splitting: another variable, a pipe, `&&`, a redirection, a glob, a substitution. */
  shell: boolean
  /** The line expands `$PORT` or `${PORT}`. */
  usesPort: boolean
}

const PORT_REFERENCE = /^\$(?:PORT\b|\{PORT\})/
/** Characters that mean something to sh outside quotes (`$` and quotes are read on their own). */
const SHELL_SYNTAX = /[|&;<>()`*?[\]{}]/

/** `line` split as sh splits it, with `$PORT` replaced by `port`. */
export function shellWords(line: string, port: string): ShellWords {
  const result: ShellWords = { words: [], raw: [], ends: [], shell: false, usesPort: false }
  let word: string | undefined
  let start = 0
  let i = 0
  const expandPort = (): boolean => {
    const match = PORT_REFERENCE.exec(line.slice(i))
    if (!match)
      return false
    word += port
    result.usesPort = true
    i += match[0].length
    return true
  }
  const end = () => {
    if (word === undefined)
      return
    result.words.push(word)
    result.raw.push(line.slice(start, i))
    result.ends.push(i)
    word = undefined
  }
  while (i < line.length) {
    const c = line[i]!
    if (/\s/.test(c)) {
      end()
      i++
      continue
    }
    if (word === undefined) {
      word = ''
      start = i
      if (c === '#' || c === '~')
        result.shell = true
    }
    if (c === '\'') {
      const close = line.indexOf('\'', i + 1)
      if (close < 0) {
        result.shell = true
        word += line.slice(i + 1)
        i = line.length
        break
      }
      word += line.slice(i + 1, close)
      i = close + 1
      continue
    }
    if (c === '"') {
      i++
      while (i < line.length && line[i] !== '"') {
        const d = line[i]!
        if (d === '\\' && /["\\$`]/.test(line[i + 1] ?? '')) {
          word += line[i + 1]
          i += 2
          continue
        }
        if (d === '$' && expandPort())
          continue
        if (d === '$' || d === '`')
          result.shell = true
        word += d
        i++
      }
      if (i >= line.length)
        result.shell = true
      i++
      continue
    }
    if (c === '\\') {
      word += line[i + 1] ?? ''
      i += 2
      continue
    }
    if (c === '$' && expandPort())
      continue
    if (c === '$' || SHELL_SYNTAX.test(c))
      result.shell = true
    word += c
    i++
  }
  i = Math.min(i, line.length)
  end()
  return result
}

/** A string of arguments split as PM2 splits an ecosystem file's `args` string (quotes grouped, no shell). */
export function pm2Words(value: string): string[] {
  return (value.match(/[^\s"'=]+="[^"]*"|[^\s"'=]+='[^']*'|"([^"]*)"|'([^']*)'|\S+/g) ?? [])
    .map(v => /^".*"$|^'.*'$/.test(v) ? v.slice(1, -1) : v)
    .filter(v => v.trim())
}
