import { WorkspaceError } from '../errors.ts'
import type { Mode, Selection } from '../types.ts'
import { DEFAULT_GROUP } from './defaults.ts'
import type { LoadedWorker, LoadedWorkspace } from './load-workspace.ts'
import { didYouMean } from './suggest.ts'

/**
 * The workers a command runs, in config order. `--workers` and `--group` select the union of both;
 * with neither, `start` runs group `primary` and `dev` every activated worker. Deactivated workers
 * are never selected by a group, and naming one is an error.
 */
export function selectWorkers(workspace: LoadedWorkspace, selection: Selection, mode: Mode): LoadedWorker[] {
  const { workers, configLabel } = workspace
  const fail = (problem: string): never => {
    throw new WorkspaceError(`${configLabel}: ${problem}`)
  }
  const names = selection.workers ?? []
  const groups = selection.groups ?? (names.length === 0 && mode === 'start' ? [DEFAULT_GROUP] : [])
  const everything = names.length === 0 && groups.length === 0

  const allNames = workers.map(w => w.name)
  for (const name of names) {
    const worker = workers.find(w => w.name === name)
    if (!worker)
      fail(`no worker is named "${name}"${didYouMean(name, allNames)}; the workers are ${allNames.join(', ')}`)
    else if (!worker.activated)
      fail(`worker "${name}" is deactivated (activated: false); set \`activated: true\` on it to run it`)
  }
  const allGroups = [...new Set(workers.map(w => w.group))]
  for (const group of groups) {
    if (!allGroups.includes(group))
      fail(`no worker is in group "${group}"${didYouMean(group, allGroups)}; the groups are ${allGroups.join(', ')}${selection.groups ? '' : ` (\`start\` with no --workers or --group runs group "${DEFAULT_GROUP}")`}`)
  }

  const selected = workers.filter(w => w.activated && (everything || names.includes(w.name) || groups.includes(w.group)))
  if (selected.length === 0) {
    const what = everything ? 'the workspace' : `${describeSelection({ workers: names, groups })}`
    fail(`${what} has no activated worker to run; set \`activated: true\` on one, or select others`)
  }
  return selected
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
