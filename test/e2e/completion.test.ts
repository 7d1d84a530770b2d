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
    // A folder with a space is one answer.
    ws.write('my dir/.keep', '')
    expect(await at('start', '--cwd', '=', join(ws.root, 'my'))).toEqual([join(ws.root, 'my dir')])
    // --cwd names the workspace from elsewhere.
    expect(await bashOffers(bash, tmpdir(), ['bun-pm', 'restart', '--cwd', '=', ws.root, '--workers', '=', 'd'])).toEqual(['db'])
    // No workspace here: no names, and no error written into the line.
    expect(await bashOffers(bash, bin, ['bun-pm', 'start', '--workers', '=', ''])).toEqual([])
  }, 60_000)

  test('fish: the same answers from fish\'s own `complete -C`', async () => {
    // Outside CI a machine without fish skips this and says so; CI must run it (.ci/run installs it).
    if (!Bun.which('fish') && !process.env.CI) {
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

  test('zsh: what its completion system offers through a terminal (zpty): commands, flags, names after =', async () => {
    // Outside CI a machine without zsh skips this and says so; CI must run it (.ci/run installs it).
    if (!Bun.which('zsh') && !process.env.CI) {
      console.warn('SKIPPED: zsh is not installed here; `apt-get install zsh` to check its script')
      return
    }
    const ws = shop()
    const file = join(bin, '_bun-pm')
    writeFileSync(file, await script('zsh'))
    // The script loaded as a user's .zshrc would, and every candidate zsh adds printed (the technique of zsh-capture-completion).
    const init = join(bin, 'init.zsh')
    writeFileSync(init, `autoload -U compinit && compinit -u -D
source ${file}
cd ${ws.root}
PATH=${bin}:$PATH
compadd () {
  if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then
    builtin compadd "$@"; return $?
  fi
  typeset -a __hits
  builtin compadd -A __hits "$@"
  typeset -A apre hpre
  zparseopts -E P:=apre p:=hpre
  for hit in $__hits; do
    echo -E - "HIT:$IPREFIX$apre[-P]$hpre[-p]$hit"
  done
}
bindkey '^I' complete-word
done-line () { echo -E - 'DONE' }
zle -N done-line
bindkey '^X' done-line
`)
    const driver = join(bin, 'drive.zsh')
    writeFileSync(driver, `zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "source \${(q)1}; PS1=''"
zpty -n -w z "$2"$'\\t'
zpty -n -w z $'\\C-x'
integer deadline=$(( SECONDS + 30 ))
while (( SECONDS < deadline )); do
  if zpty -r -t z line; then
    [[ $line == *HIT:* ]] && print -r -- "\${line##*HIT:}"
    [[ $line == *DONE* ]] && break
  else
    sleep 0.05
  fi
done
zpty -d z
`)
    const offers = async (line: string) => {
      const proc = Bun.spawn(['zsh', '-f', driver, init, line], { env: childEnv({ HOME: bin }), stdout: 'pipe', stderr: 'pipe' })
      const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
      expect(stderr).toBe('')
      return [...new Set(stdout.replace(/\r/g, '').split('\n').filter(Boolean))].sort()
    }
    expect(await offers('bun-pm st')).toEqual(['start', 'startup', 'status', 'stop'])
    expect(await offers('bun-pm start --work')).toEqual(['--workers'])
    expect(await offers('bun-pm stop --workers=a')).toEqual(['--workers=admin', '--workers=api'])
    expect(await offers('bun-pm export --to=k')).toEqual(['--to=kubernetes'])
  }, 120_000)

  test('an unknown shell is one line and exit 1', async () => {
    const result = await runCli(['completion', 'powershell'])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('error: completion: no script for "powershell"; write `bun-pm completion bash`, `bun-pm completion zsh`, `bun-pm completion fish`\n')
    expect(result.stdout).toBe('')
  }, 30_000)
})
