import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const REPO = resolve(import.meta.dir, '../..')
export const ENTRY = join(REPO, 'src/commands/exec-process.ts')
export const BUN = process.execPath

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs the real CLI (`bun src/commands/exec-process.ts ...`) in `cwd` with its own temporary
 * PM2_HOME, and reports whether anything touched that PM2 home.
 */
export async function runCli(args: string[], { cwd = REPO, env = {} }: { cwd?: string, env?: Record<string, string | undefined> } = {}): Promise<CliResult & { pm2HomeTouched: boolean }> {
  const pm2Home = mkdtempSync(join(tmpdir(), 'bun-pm-test-home-'))
  try {
    const proc = Bun.spawn([BUN, '--no-env-file', ENTRY, ...args], {
      cwd,
      env: childEnv({ PM2_HOME: pm2Home, NO_COLOR: '1', ...env }),
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    return { code, stdout, stderr, pm2HomeTouched: readdirSync(pm2Home).length > 0 }
  }
  finally {
    rmSync(pm2Home, { recursive: true, force: true })
  }
}

/** The test's environment for a child, less bun test's NODE_ENV=test, with `overrides` (undefined deletes). */
export function childEnv(overrides: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: undefined, ...overrides }
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined))
}

/** Pids of processes whose command line mentions `text` (a temp folder of the test's own). */
export function processesMentioning(text: string): number[] {
  const out = Bun.spawnSync(['ps', '-eo', 'pid=,args=']).stdout.toString()
  return out.split('\n').filter(line => line.includes(text) && !line.includes('ps -eo')).map(line => Number.parseInt(line, 10))
}
