// `completion bash|zsh|fish`, and the hidden `__complete` its scripts call for worker and group names.

import { type ArgsDef, type CommandDef, defineCommand } from 'citty'
import { WorkspaceError } from '../errors.ts'
import { loadWorkspace } from '../config/load.ts'
import { pm2Rules } from '../pm2/schema.ts'
import { rejectUnknownFlags } from './reject-unknown-flags.ts'
import { selectionArgs } from './_shared.ts'
import { renderCompletion, type Shell, SHELLS } from './completion-script.ts'
import { describeTree, NAMES_COMMAND } from './completion-tree.ts'

/** `completion <shell>`: the script, generated from `root`'s commands and their flags. */
export function completionCommand(root: () => CommandDef<ArgsDef>) {
  return defineCommand({
    meta: { name: 'completion', description: 'Print the completion script for bash, zsh or fish: commands, flags, and the workspace\'s worker and group names' },
    args: {
      shell: { type: 'positional', required: false, description: SHELLS.join(', '), valueHint: 'shell' },
    },
    plugins: [rejectUnknownFlags('completion')],
    async run({ args }) {
      if (!(SHELLS as readonly string[]).includes(args.shell ?? ''))
        throw new WorkspaceError(`completion: ${args.shell === undefined ? 'name the shell' : `no script for "${args.shell}"`}; write \`bun-pm completion ${SHELLS.join('`, `bun-pm completion ')}\``)
      process.stdout.write(renderCompletion(await describeTree(root(), { completion: SHELLS }), args.shell as Shell))
    },
  })
}

/**
 * `__complete workers|groups [--cwd]`: the names in the folder's pm.config.ts, one a line, for
 * the scripts. Prints nothing rather than an error: a completion never writes into the line.
 */
export const namesCommand = defineCommand({
  meta: { name: NAMES_COMMAND, hidden: true, description: 'Worker or group names, for the completion scripts' },
  args: {
    what: { type: 'positional', required: true, description: 'workers or groups' },
    cwd: selectionArgs.cwd,
  },
  async run({ args }) {
    try {
      const { workers } = await loadWorkspace({ cwd: args.cwd, mode: 'dev', rules: pm2Rules() })
      const names = args.what === 'groups' ? [...new Set(workers.map(w => w.group))] : workers.map(w => w.name)
      if (names.length > 0)
        console.log(names.join('\n'))
    }
    catch {}
  },
})
