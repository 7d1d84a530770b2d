// A command in a real pseudo-terminal (Bun's PTY), its screen read back as a person sees it
// through a headless xterm: for `monit`.
import { Terminal } from '@xterm/headless'
import { BUN, childEnv, ENTRY } from './cli.ts'

export interface PtyRun {
  pid: number
  /** The visible screen, one string per row, trailing blanks trimmed. */
  lines: () => string[]
  text: () => string
  /** Waits until the screen matches (up to `timeoutMs`); returns the screen then. */
  waitFor: (pattern: RegExp | ((text: string) => boolean), timeoutMs?: number) => Promise<string>
  /** Types keys into the terminal (`\x1b[B` is the down arrow). */
  write: (keys: string) => void
  resize: (cols: number, rows: number) => void
  exited: Promise<number>
  kill: () => void
}

/**
 * Runs the CLI (`bun src/commands/exec-process.ts ...args`) in a terminal of `cols`x`rows`, with
 * the test's environment and `env`; CI is unset, as at a person's terminal (Ink draws differently in CI).
 */
export function runInTerminal(args: string[], { cwd, env = {}, cols = 100, rows = 30 }: { cwd: string, env?: Record<string, string | undefined>, cols?: number, rows?: number }): PtyRun {
  const term = new Terminal({ cols, rows, allowProposedApi: true })
  const proc = Bun.spawn([BUN, '--no-env-file', ENTRY, ...args], {
    cwd,
    env: childEnv({ TERM: 'xterm-256color', CI: undefined, CONTINUOUS_INTEGRATION: undefined, ...env }),
    terminal: { cols, rows, data: (_terminal, bytes) => term.write(bytes) },
  })
  const lines = () => {
    const buffer = term.buffer.active
    return Array.from({ length: term.rows }, (_, i) => buffer.getLine(buffer.viewportY + i)?.translateToString(true) ?? '')
  }
  const text = () => lines().join('\n')
  return {
    pid: proc.pid,
    lines,
    text,
    async waitFor(pattern, timeoutMs = 10_000) {
      const matches = typeof pattern === 'function' ? pattern : (t: string) => pattern.test(t)
      const deadline = Date.now() + timeoutMs
      // xterm parses what it is fed a moment later: read it only once it has.
      const screen = async () => new Promise<string>(resolve => term.write('', () => resolve(text())))
      for (;;) {
        const now = await screen()
        if (matches(now))
          return now
        if (Date.now() > deadline)
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}; the screen:\n${now}`)
        await Bun.sleep(50)
      }
    },
    write: keys => void proc.terminal!.write(keys),
    resize(newCols, newRows) {
      term.resize(newCols, newRows)
      proc.terminal!.resize(newCols, newRows)
    },
    exited: proc.exited,
    kill: () => proc.kill('SIGKILL'),
  }
}
