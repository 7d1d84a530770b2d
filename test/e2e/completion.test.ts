import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BUN, childEnv, ENTRY, runCli } from '../helpers/cli.ts'
import { fixture } from '../helpers/dev-session.ts'
import { tempWorkspaces } from '../helpers/workspace.ts'

const workspaces = tempWorkspaces()
const bin = mkdtempSync(join(tmpdir(), 'bun-pm-test-bin-'))
afterAll(() => {
  workspaces.removeAll()
  rmSync(bin, { recursive: true, force: true })
})

// `bun-pm` on PATH, as an install puts it there: the real CLI, for the scripts' `bun-pm __complete`.
writeFileSync(join(bin, 'bun-pm'), `#!/bin/sh\nexec '${BUN}' --no-env-file '${ENTRY}' "$@"\n`)
chmodSync(join(bin, 'bun-pm'), 0o755)

const shop = () => workspaces.make(`{ workers: [
  { name: 'api', bun: 'tick.ts' },
  { name: 'admin', group: 'back-office', bun: 'tick.ts' },
  { name: 'db', bun: 'tick.ts' },
] }`, { 'tick.ts': fixture('forever.ts') })

async function script(shell: string): Promise<string> {
  const result = await runCli(['completion', shell])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return result.stdout
}

/**
 * What bash's completion would offer for `words` (split as bash splits them: `--workers=a` is
 * `--workers`, `=`, `a`, since = is in COMP_WORDBREAKS), the last word being the one completed.
 */
async function bashOffers(source: string, cwd: string, words: string[]): Promise<string[]> {
  const file = join(bin, 'completion.bash')
  writeFileSync(file, source)
  const quoted = words.map(word => `'${word.replace(/'/g, `'\\''`)}'`).join(' ')
  const program = `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _bun_pm; printf '%s\\n' "\${COMPREPLY[@]}"`
  const proc = Bun.spawn(['bash', '--norc', '--noprofile', '-c', program], { cwd, env: childEnv({ PATH: `${bin}:${process.env.PATH}` }), stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  expect(stderr).toBe('')
  return stdout.split('\n').filter(Boolean).sort()
}

describe('completion', () => {
  test('bash: commands, flags up to their =, worker and group names from the workspace, lists after a comma, enum values', async () => {
    const bash = await script('bash')
    const ws = shop()
    const at = (...words: string[]) => bashOffers(bash, ws.root, ['bun-pm', ...words])
    expect(await at('st')).toEqual(['start', 'startup', 'status', 'stop'])
    expect(await at('start', '--work')).toEqual(['--workers='])
    expect(await at('start', '--no-')).toEqual(['--no-deps'])
    expect(await at('del', '--js')).toEqual(['--json'])
    expect(await at('start', '--workers', '=', '')).toEqual(['admin', 'api', 'db'])
    expect(await at('logs', '--workers', '=', 'a')).toEqual(['admin', 'api'])
    expect(await at('stop', '--workers', '=', 'api,d')).toEqual(['api,db'])
    expect(await at('status', '--group', '=', '')).toEqual(['back-office', 'primary'])
    expect(await at('export', '--to', '=', 'k')).toEqual(['kubernetes'])
    expect(await at('completion', '')).toEqual(['bash', 'fish', 'zsh'])
    // --cwd names the workspace from elsewhere.
    expect(await bashOffers(bash, tmpdir(), ['bun-pm', '--cwd', '=', ws.root, 'restart', '--workers', '=', 'd'])).toEqual(['db'])
    // No workspace here: no names, and no error written into the line.
    expect(await bashOffers(bash, bin, ['bun-pm', 'start', '--workers', '=', ''])).toEqual([])
  }, 60_000)

  test('fish: the same answers from fish\'s own `complete -C`', async () => {
    if (!Bun.which('fish')) {
      console.warn('SKIPPED: fish is not installed here; `apt-get install fish` to check its script')
      return
    }
    const fish = await script('fish')
    const ws = shop()
    const file = join(bin, 'bun-pm.fish')
    writeFileSync(file, fish)
    const offers = async (line: string) => {
      const proc = Bun.spawn(['fish', '--no-config', '-c', `source '${file}'; complete -C '${line}'`], { cwd: ws.root, env: childEnv({ PATH: `${bin}:${process.env.PATH}` }), stdout: 'pipe', stderr: 'pipe' })
      const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
      expect(stderr).toBe('')
      return stdout.split('\n').filter(Boolean).map(line => line.split('\t')[0]!).sort()
    }
    expect(await offers('bun-pm st')).toEqual(['start', 'startup', 'status', 'stop'])
    expect(await offers('bun-pm start --work')).toEqual(['--workers'])
    expect(await offers('bun-pm start --workers=a')).toEqual(['--workers=admin', '--workers=api'])
    expect(await offers('bun-pm stop --group=')).toEqual(['--group=back-office', '--group=primary'])
  }, 60_000)

  test('zsh: the script parses and loads under compinit', async () => {
    if (!Bun.which('zsh')) {
      console.warn('SKIPPED: zsh is not installed here; `apt-get install zsh` to check its script')
      return
    }
    const file = join(bin, '_bun-pm')
    writeFileSync(file, await script('zsh'))
    const proc = Bun.spawn(['zsh', '-f', '-c', `autoload -U compinit && compinit -u -D && source '${file}' && print -r -- $_comps[bun-pm]`], { env: childEnv({ HOME: bin }), stdout: 'pipe', stderr: 'pipe' })
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout.trim()).toBe('_bun_pm')
  }, 30_000)

  test('an unknown shell is one line and exit 1', async () => {
    const result = await runCli(['completion', 'powershell'])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('error: completion: no script for "powershell"; write `bun-pm completion bash`, `bun-pm completion zsh`, `bun-pm completion fish`\n')
    expect(result.stdout).toBe('')
  }, 30_000)
})
