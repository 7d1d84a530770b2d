import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cmdlineOf } from '../../src/os/processes.ts'
import { expect } from 'bun:test'
import { isAlive } from '../../src/os/processes.ts'
import { BUN, childEnv, ENTRY, REPO } from './cli.ts'

const PM2_CLI = join(REPO, 'node_modules/pm2/bin/pm2')

/** A PM2 home of the test's own; `close` kills its daemon and checks that nothing it ran is left. */
export interface TestHome {
  path: string
  /** Runs the real CLI with this PM2_HOME. */
  cli: (args: string[], options?: { cwd?: string, env?: Record<string, string> }) => Promise<{ code: number, stdout: string, stderr: string }>
  /** Runs PM2's own CLI (on Node) with this PM2_HOME. */
  pm2: (args: string[]) => { code: number, stdout: string }
  /** Processes started under this home: the daemon, and the workers, which inherit PM2_HOME. */
  processes: () => number[]
  close: () => Promise<void>
}

export function makePm2Home(): TestHome {
  const path = mkdtempSync(join(tmpdir(), 'bun-pm-test-pm2-'))
  const env = (extra: Record<string, string> = {}) => childEnv({ PM2_HOME: path, NO_COLOR: '1', ...extra })
  const processes = () => readdirSync('/proc').map(Number).filter(pid => Number.isInteger(pid) && pid !== process.pid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`PM2_HOME=${path}`) && isAlive(pid)
    }
    catch {
      return false
    }
  })
  return {
    path,
    async cli(args, { cwd = REPO, env: extra = {} } = {}) {
      const proc = Bun.spawn([BUN, '--no-env-file', ENTRY, ...args], { cwd, env: env(extra), stdout: 'pipe', stderr: 'pipe' })
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
      return { code, stdout, stderr }
    },
    pm2(args) {
      const result = Bun.spawnSync(['node', PM2_CLI, ...args], { env: env({ PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` }) })
      return { code: result.exitCode, stdout: result.stdout.toString() }
    },
    processes,
    async close() {
      const pidFile = join(path, 'pm2.pid')
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM')
      }
      catch {}
      // Generous: a daemon stops each worker within its kill_timeout, slower on a busy machine.
      const deadline = Date.now() + 15_000
      let left = processes()
      while (left.length > 0 && Date.now() < deadline) {
        await Bun.sleep(50)
        left = processes()
      }
      // What the daemon did not stop is a leak of ours: kill it by pid, and fail, saying what it was.
      const named = left.map(pid => `${pid} ${cmdlineOf(pid).slice(0, 160)}`)
      for (const pid of left) {
        try {
          process.kill(-pid, 'SIGKILL')
        }
        catch {
          try {
            process.kill(pid, 'SIGKILL')
          }
          catch {}
        }
      }
      rmSync(path, { recursive: true, force: true })
      expect(named).toEqual([])
    },
  }
}

/** Runs `fn` with a PM2 home of its own, then checks that nothing it started is left (safe for test.concurrent). */
export async function withHome(fn: (h: TestHome) => Promise<void>): Promise<void> {
  const h = makePm2Home()
  let failed: { error: unknown } | undefined
  try {
    await fn(h)
  }
  catch (error) {
    failed = { error }
  }
  try {
    await h.close()
  }
  catch (leak) {
    // The test's own failure comes first: what it left behind is said after it, not instead of it.
    if (!failed)
      throw leak
    if (failed.error instanceof Error)
      failed.error.message += `\n(and then the home's check failed too: ${(leak as Error).message.split('\n').slice(0, 8).join(' ')})`
  }
  if (failed)
    throw failed.error
}
