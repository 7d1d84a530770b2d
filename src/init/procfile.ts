// `init --from Procfile`: each `name: command` line a worker, set up as Foreman and Overmind run it.
// Pure.

import type { Interpreter } from '../types/config.ts'
import { type Conversion, INTERPRETER_BY_COMMAND, SCRIPT_FILE, workerName } from './convert.ts'
import { shellWords } from './shell-words.ts'

/** Foreman's and Overmind's default base port: the first process type gets it, each next one 100 more. */
export const FOREMAN_BASE_PORT = 5000
const PORT_STEP = 100

/** Interpreter flags whose value is the next word (`node -r dotenv/config app.js`). */
const FLAGS_WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '--preload', '--env-file', '-C', '--conditions', '--tsconfig'])
/** Words sh runs itself, never a program of that name: a line starting with one needs the shell. */
const SHELL_BUILTINS = new Set(['.', 'source', 'cd', 'export', 'set', 'unset', 'ulimit', 'umask', 'trap', 'eval', 'wait', 'if', 'for', 'while', 'until', 'case', '!', '{'])

/** Flags that make the interpreter restart the script on a change: `dev` does that itself, and `start` should not. */
const WATCH_FLAGS = new Set(['--watch', '--hot'])

interface ScriptCall {
  interpreter: Interpreter
  script: string
  interpreterArgs: string[]
  args: string[]
  /** A watch flag was left out. */
  watch: boolean
}

/**
 * `bun [run] file`, `node file`, `tsx file` (with interpreter flags before the file), and the
 * same through `npx`/`bunx` (which run the workspace's own bun or tsx, as bun-pm does).
 */
function scriptCall(words: string[]): ScriptCall | undefined {
  let rest = ['npx', 'bunx'].includes(words[0]!) && ['bun', 'tsx'].includes(words[1]!) ? words.slice(1) : words
  const interpreter = INTERPRETER_BY_COMMAND[rest[0]!]
  if (!interpreter)
    return undefined
  rest = rest.slice(1)
  let watch = false
  const interpreterArgs: string[] = []
  for (;;) {
    if ((interpreter === 'bun' && rest[0] === 'run') || (interpreter === 'tsx' && rest[0] === 'watch')) {
      watch ||= rest[0] === 'watch'
      rest = rest.slice(1)
      continue
    }
    if (!rest[0]?.startsWith('-'))
      break
    const flag = rest.shift()!
    if (WATCH_FLAGS.has(flag)) {
      watch = true
      continue
    }
    interpreterArgs.push(flag)
    if (FLAGS_WITH_VALUE.has(flag) && rest.length > 0)
      interpreterArgs.push(rest.shift()!)
  }
  const script = rest[0]
  if (!script || !SCRIPT_FILE.test(script))
    return undefined
  return { interpreter, script: script.replace(/^\.\//, ''), interpreterArgs, args: rest.slice(1), watch }
}

/**
 * A Procfile as workers. As Foreman and Overmind do, each process type gets `PORT` (`basePort`
 * for the first, 100 more for each next) and leading `NAME=value` words become its env. A plain
 * bun, node or tsx script call stays a script worker, its `$PORT` written as the number (no shell
 * runs it); any other command becomes a `cmd` worker: a list of words when it needs no shell, else
 * the line itself, run by /bin/sh, which expands `$PORT` from the worker's env as it starts. Pure.
 */
export function fromProcfile(text: string, basePort = FOREMAN_BASE_PORT): Conversion {
  const workers: Record<string, unknown>[] = []
  const dropped: string[] = []
  const changed: string[] = []
  /** Each worker's process type. */
  const lines = new Map<Record<string, unknown>, string>()
  let processIndex = 0
  for (const [index, rawLine] of text.split('\n').entries()) {
    const line = rawLine.trim()
    if (!line || line.startsWith('#'))
      continue
    const match = /^([\w.-]+)\s*:\s*(.+)$/.exec(line)
    if (!match) {
      dropped.push(`Procfile line ${index + 1} ("${line}"): not \`name: command\``)
      continue
    }
    const [, type, command] = match as unknown as [string, string, string]
    let name = workerName(type, processIndex)
    // Foreman runs both lines of a name twice over; bun-pm needs a name each.
    if (workers.some(worker => worker.name === name)) {
      const taken = name
      for (let n = 2; workers.some(worker => worker.name === name); n++)
        name = `${taken}-${n}`
      changed.push(`${name}: a second \`${type}:\` line; workers need names of their own, so this one is ${name}`)
    }
    const foremanPort = String(basePort + PORT_STEP * processIndex++)
    let split = shellWords(command, foremanPort)
    // Leading `NAME=value` words are the process's env (those with a literal value: one that
    // expands something is left to the shell).
    const env: Record<string, string> = { PORT: foremanPort }
    let assignments = 0
    while (assignments < split.words.length && /^[A-Za-z_]\w*=/.test(split.raw[assignments]!) && !/[$`]/.test(split.raw[assignments]!)) {
      const word = split.words[assignments++]!
      env[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1)
    }
    // `PORT=3001 bun x.ts --port $PORT` means 3001 in both places.
    if (env.PORT !== foremanPort)
      split = shellWords(command, env.PORT!)
    // `exec prog` is how a shell line asks to be replaced by prog: running prog directly is the same.
    const words = split.words.slice(split.words[assignments] === 'exec' ? assignments + 1 : assignments)
    const shell = split.shell || SHELL_BUILTINS.has(words[0] ?? '')
    const rest = command.slice(split.ends[assignments - 1] ?? 0).trim()
    if (words.length === 0) {
      dropped.push(`${name}: "${command}" runs nothing`)
      continue
    }
    const call = shell ? undefined : scriptCall(words)
    const options: Record<string, unknown> = {}
    let worker: Record<string, unknown>
    if (call) {
      worker = { name, [call.interpreter]: call.script }
      if (call.interpreter !== 'bun')
        options.interpreter = call.interpreter
      if (call.interpreterArgs.length > 0)
        options.interpreter_args = call.interpreterArgs
      if (call.args.length > 0)
        options.args = call.args
      if (split.usesPort)
        changed.push(`${name}: \`$PORT\` is written as ${env.PORT} in its args (a script worker runs without a shell); change it there and in env.PORT together`)
      if (call.watch)
        changed.push(`${name}: its watch flag is left out: \`bun-pm dev\` restarts a worker when its files change, and \`start\` should not`)
    }
    else {
      // Words alone run the program directly (signals reach it); anything more is the shell's.
      worker = { name, cmd: shell || split.usesPort ? rest : words }
    }
    options.env = env
    if (type === 'release') {
      options.autorestart = false
      changed.push(`${name}: Heroku runs \`release\` once per deploy, before the new processes; here it is a one-shot job (autorestart: false) that every other worker \`dependsOn\`: they start once it exited 0, and not when it fails`)
    }
    // Heroku's contract: `web` listens on $PORT. A tcp check makes it ready when it does (and
    // restarts it when it stops), rather than after a second up.
    if (type === 'web')
      worker.heartbeat = `tcp://127.0.0.1:${env.PORT}`
    const converted = { ...worker, options }
    lines.set(converted, type)
    workers.push(converted)
  }
  const release = workers.find(worker => (worker.options as { autorestart?: boolean }).autorestart === false && lines.get(worker) === 'release')
  if (release) {
    for (const [index, { options, ...worker }] of workers.entries()) {
      if (workers[index] !== release)
        workers[index] = { ...worker, dependsOn: [release.name], options }
    }
  }
  const notes = [`Each worker's env.PORT is the one Foreman gives its process type: ${basePort} for the first line, ${basePort + PORT_STEP} for the next, and so on.`]
  return { workspace: { workers }, dropped, changed, notes }
}
