import { describe, expect, test } from 'bun:test'
import { type ArgsDef, type CommandDef, defineCommand } from 'citty'
import { main } from '../../src/commands/exec-process.ts'
import { renderCompletion, SHELLS } from '../../src/commands/completion-script.ts'
import { describeTree } from '../../src/commands/completion-tree.ts'

/** Every visible command of the real CLI, with its aliases and the flags of its args. */
async function everyCommand() {
  const subCommands = (typeof main.subCommands === 'function' ? await main.subCommands() : await main.subCommands)!
  const commands: { name: string, aliases: string[], flags: string[] }[] = []
  for (const [name, entry] of Object.entries(subCommands)) {
    const cmd = (typeof entry === 'function' ? await entry() : await entry) as CommandDef<ArgsDef>
    const meta = (typeof cmd.meta === 'function' ? await cmd.meta() : await cmd.meta) ?? {}
    if (meta.hidden)
      continue
    const args = (typeof cmd.args === 'function' ? await cmd.args() : await cmd.args) ?? {}
    const flags = Object.entries(args).filter(([, def]) => def.type !== 'positional').map(([key]) => key)
    commands.push({ name, aliases: [meta.alias ?? []].flat(), flags })
  }
  return commands
}

describe('completion scripts', () => {
  test('the tree is the CLI\'s: every visible command, none hidden, and each flag of its args', async () => {
    const tree = await describeTree(main)
    const commands = await everyCommand()
    expect(tree.commands.map(c => c.name)).toEqual(commands.map(c => c.name))
    expect(tree.commands.map(c => c.name)).toContain('startup')
    expect(tree.commands.map(c => c.name)).not.toContain('__complete')
    for (const command of commands)
      expect(tree.commands.find(c => c.name === command.name)!.flags.map(f => f.name)).toEqual(expect.arrayContaining(command.flags))
  })

  /** The part of each script that offers a command's flags: bash's case line, zsh's case block, fish's lines for it. */
  const flagsPart: Record<typeof SHELLS[number], (script: string, names: string[]) => string> = {
    bash: (script, names) => script.split('\n').find(line => line.startsWith(`    ${names.join('|')}) _bun_pm_reply -W '--`)) ?? '',
    zsh: (script, names) => script.split(`        ${names.join('|')})\n`)[1]?.split(';;')[0] ?? '',
    fish: (script, names) => script.split('\n').filter(line => line.includes(`-n '__fish_seen_subcommand_from ${names.join(' ')}'`)).join('\n'),
  }
  const offered: Record<typeof SHELLS[number], (script: string, name: string) => boolean> = {
    bash: (script, name) => script.includes(`_bun_pm_reply -W '${name} `) || new RegExp(`_bun_pm_reply -W '[^']* ${name}[ ']`).test(script),
    zsh: (script, name) => script.includes(`    '${name}:`),
    fish: (script, name) => script.includes(`-n __fish_use_subcommand -a ${name} -d`),
  }

  for (const shell of SHELLS) {
    test(`${shell}: every command is offered, and every flag of it (by name and alias)`, async () => {
      const script = renderCompletion(await describeTree(main, { completion: SHELLS }), shell)
      for (const command of await everyCommand()) {
        expect(offered[shell](script, command.name)).toBe(true)
        const part = flagsPart[shell](script, [command.name, ...command.aliases])
        expect(part).not.toBe('')
        for (const flag of command.flags)
          expect(part).toMatch(shell === 'fish' ? new RegExp(`-l ${flag}( |$)`, 'm') : new RegExp(`--${flag}[= \\[']`))
      }
    })
  }

  test('a boolean that defaults to true is offered negated; a value flag ends in =; an enum completes its words', async () => {
    const tree = await describeTree({
      meta: { name: 'tool' },
      subCommands: {
        go: defineCommand({ args: { deps: { type: 'boolean', default: true }, to: { type: 'enum', options: ['a', 'b'] }, dryRun: { type: 'boolean' }, cwd: { type: 'string', valueHint: 'dir' } } }),
        secret: defineCommand({ meta: { hidden: true } }),
      },
    })
    expect(tree.commands.map(c => c.name)).toEqual(['go'])
    expect(tree.commands[0]!.flags.map(f => f.name)).toEqual(['deps', 'no-deps', 'to', 'dry-run', 'cwd'])
    const bash = renderCompletion(tree, 'bash')
    expect(bash).toContain(`go) _tool_reply -W '--deps --no-deps --to= --dry-run --cwd= --help' -- "$cur" ;;`)
    expect(bash).toContain(`go:--to) _tool_reply -P "$pre" -W 'a b' -- "$cur" ;;`)
    expect(bash).toContain('complete -F _tool tool')
    expect(renderCompletion(tree, 'zsh')).toContain(`'--to=[]:to:(a b)'`)
    expect(renderCompletion(tree, 'fish')).toContain(`complete -c tool -n '__fish_seen_subcommand_from go' -l to -x -a 'a b'`)
  })
})
