// What the person at the screen chose — the selected unit, the filter, the log pane — how each
// action changes it, and how the screen's rows are shared out between the panes. Pure.
import type { Action } from './keys.ts'

export interface UiState {
  /** The selected unit by name, so that it stays selected when rows come and go; null: the first. */
  selected: string | null
  filter: string
  /** The filter is being typed. */
  typing: boolean
  logs: boolean
}

export const INITIAL_UI: UiState = { selected: null, filter: '', typing: false, logs: true }

/** The index of the selected unit among `names` (the rows shown): the first when it is not among them. */
export function selectedIndex(selected: string | null, names: readonly string[]): number {
  const at = selected === null ? -1 : names.indexOf(selected)
  return at === -1 ? 0 : at
}

/**
 * The state after `action`, `names` being the rows shown now. The actions with effects (restart,
 * stop/start, quit) leave it as it is: the caller carries them out.
 */
export function reduce(state: UiState, action: Action, names: readonly string[]): UiState {
  const moveTo = (index: number) => names.length === 0 ? state : { ...state, selected: names[Math.min(names.length - 1, Math.max(0, index))]! }
  switch (action.kind) {
    case 'move': return moveTo(selectedIndex(state.selected, names) + action.by)
    case 'first': return moveTo(0)
    case 'last': return moveTo(names.length - 1)
    case 'logs': return { ...state, logs: !state.logs }
    case 'filter': return { ...state, typing: true }
    case 'type': return { ...state, filter: state.filter + action.text }
    case 'erase': return { ...state, filter: [...state.filter].slice(0, -1).join('') }
    case 'accept': return { ...state, typing: false }
    case 'clear': return { ...state, filter: '', typing: false }
    default: return state
  }
}

/** The first row of the table's window: the selected row kept in view, near the middle when the rows overflow. */
export function windowStart(count: number, index: number, height: number): number {
  if (count <= height || height <= 0)
    return 0
  return Math.min(count - height, Math.max(0, index - Math.floor(height / 2)))
}

export interface Panes {
  /** Rows of units shown (below the table's title line). */
  table: number
  /** Lines of the selected unit's output shown (below the pane's title line); 0 when the pane is off. */
  logs: number
}

/**
 * How the screen's `height` lines are shared: the header takes two lines; the table's title, the
 * selected unit's detail line, the message line when there is one, and the footer one each; the log
 * pane (its title and lines) takes about 40 % of what is left when on; the table has the rest.
 */
export function paneSizes(height: number, { logs, message }: { logs: boolean, message: boolean }): Panes {
  const free = Math.max(1, height - 5 - (message ? 1 : 0))
  if (!logs)
    return { table: free, logs: 0 }
  const logLines = Math.max(2, Math.floor(free * 0.4) - 1)
  const table = Math.max(1, free - logLines - 1)
  return { table, logs: Math.max(0, free - table - 1) }
}
