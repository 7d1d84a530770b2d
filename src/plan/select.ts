// Which workers a command acts on: --workers, --group, the default group, and what they depend on.

import { WorkspaceError } from '../errors.ts'
import type { Mode, Selection } from '../types/config.ts'
import { DEFAULT_GROUP } from '../config/defaults.ts'
import type { LoadedWorker, LoadedWorkspace } from '../config/load.ts'
import { withDependencies } from '../model/order.ts'
import { didYouMean } from '../model/suggest.ts'

export interface SelectedWorkers {
  workers: LoadedWorker[]
  /** Workers that were not asked for but that an asked-for one depends on, with who needs them. */
  added: { name: string, neededBy: string[] }[]
}

/**
 * The workers a command runs, in config order. `--workers` and `--group` select the union of both;
 * with neither, `start` runs group `primary` and `dev` every activated worker. Deactivated workers
 * are never selected by a group, and naming one is an error. What the selection depends on
 * (`dependsOn`, transitively) is selected too, unless `selection.noDeps`.
 */
export function selectWorkers(workspace: LoadedWorkspace, selection: Selection, mode: Mode): SelectedWorkers {
  const { workers, configLabel } = workspace
  const fail = (problem: string): never => {
    throw new WorkspaceError(`${configLabel}: ${problem}`)
  }
  const names = selection.workers ?? []
  const groups = selection.groups ?? (names.length === 0 && mode === 'start' ? [DEFAULT_GROUP] : [])
  const everything = names.length === 0 && groups.length === 0

  checkKnown(workspace, names, groups, selection.groups ? '' : ` (\`start\` with no --workers or --group runs group "${DEFAULT_GROUP}")`)
  for (const name of names) {
    if (!workers.find(w => w.name === name)?.activated)
      fail(`worker "${name}" is deactivated (activated: false); set \`activated: true\` on it to run it`)
  }

  const selected = workers.filter(w => w.activated && (everything || names.includes(w.name) || groups.includes(w.group)))
  if (selected.length === 0) {
    const what = everything ? 'the workspace' : `${describeSelection({ workers: names, groups })}`
    fail(`${what} has no activated worker to run; set \`activated: true\` on one, or select others`)
  }
  if (selection.noDeps)
    return { workers: selected, added: [] }
  const deps = Object.fromEntries(workers.map(w => [w.name, w.dependsOn]))
  const closure = withDependencies(selected.map(w => w.name), deps, workers.map(w => w.name))
  for (const name of closure.names) {
    const worker = workers.find(w => w.name === name)!
    if (!worker.activated) {
      const by = workers.filter(w => w.dependsOn.includes(name) && closure.names.includes(w.name)).map(w => w.name)
      fail(`worker "${by[0]}" depends on "${name}", which is deactivated (activated: false); set \`activated: true\` on "${name}", remove it from "${by[0]}"'s dependsOn, or pass --no-deps`)
    }
  }
  return {
    workers: workers.filter(w => closure.names.includes(w.name)),
    added: [...closure.added].map(([name, neededBy]) => ({ name, neededBy })),
  }
}

/** `--workers=a,b` as a list; an empty value is an error rather than "select nothing". */
export function parseList(flag: string, value: string | undefined): string[] | undefined {
  if (value === undefined)
    return undefined
  const items = String(value).split(',').map(item => item.trim()).filter(Boolean)
  if (items.length === 0)
    throw new WorkspaceError(`--${flag} is empty; give one or more names separated by commas, e.g. --${flag}=a,b`)
  return items
}

function describeSelection({ workers = [], groups = [] }: Selection): string {
  const parts = [
    workers.length > 0 && `--workers=${workers.join(',')}`,
    groups.length > 0 && `group ${groups.map(g => `"${g}"`).join(', ')}`,
  ]
  return parts.filter(Boolean).join(' + ')
}

/**
 * The workers `stop`, `restart`, `status` and `logs` act on: the whole workspace when nothing is
 * selected, else the union of `--workers` and `--group`, deactivated ones included (they may
 * still run from before they were deactivated).
 */
export function selectTargets(workspace: LoadedWorkspace, selection: Selection, running: readonly string[] = []): LoadedWorker[] {
  const names = selection.workers ?? []
  const groups = selection.groups ?? []
  if (names.length === 0 && groups.length === 0)
    return workspace.workers
  // A worker that still runs but left the config (renamed, removed) can still be named.
  checkKnown(workspace, names.filter(name => !running.includes(name)), groups)
  return workspace.workers.filter(w => names.includes(w.name) || groups.includes(w.group))
}

/** The names in `--workers` that are no worker of the config but run in its namespace. */
export function departedTargets(workspace: LoadedWorkspace, selection: Selection, running: readonly string[]): string[] {
  return (selection.workers ?? []).filter(name => running.includes(name) && !workspace.workers.some(w => w.name === name))
}

/** Unknown names and groups are errors that suggest the closest one. */
function checkKnown({ workers, configLabel }: LoadedWorkspace, names: string[], groups: string[], groupHint = ''): void {
  const allNames = workers.map(w => w.name)
  for (const name of names) {
    if (!allNames.includes(name))
      throw new WorkspaceError(`${configLabel}: no worker is named "${name}"${didYouMean(name, allNames)}; the workers are ${allNames.join(', ')}`)
  }
  const allGroups = [...new Set(workers.map(w => w.group))]
  for (const group of groups) {
    if (!allGroups.includes(group))
      throw new WorkspaceError(`${configLabel}: no worker is in group "${group}"${didYouMean(group, allGroups)}; the groups are ${allGroups.join(', ')}${groupHint}`)
  }
}
