// Which action a key press is, in the table or while the filter is being typed, and the footer
// that lists the keys. Pure.

/** The key flags `monit` reads (a subset of Ink's `Key`). */
export interface KeyFlags {
  upArrow?: boolean
  downArrow?: boolean
  pageUp?: boolean
  pageDown?: boolean
  home?: boolean
  end?: boolean
  return?: boolean
  escape?: boolean
  ctrl?: boolean
  backspace?: boolean
  delete?: boolean
  tab?: boolean
}

export type Action =
  | { kind: 'move', by: number }
  | { kind: 'first' }
  | { kind: 'last' }
  | { kind: 'restart' }
  | { kind: 'toggle' }
  | { kind: 'logs' }
  | { kind: 'quit' }
  /** `/`: start typing the filter. */
  | { kind: 'filter' }
  | { kind: 'type', text: string }
  | { kind: 'erase' }
  /** Enter: keep the filter typed and go back to the table. */
  | { kind: 'accept' }
  /** Esc: no filter. */
  | { kind: 'clear' }
  | { kind: 'none' }

/** The footer: every key of the table, in a line that fits 80 columns. */
export const FOOTER = '↑↓/jk select  r restart  s stop/start  / filter  l logs  q quit'
/** The footer while the filter is typed. */
export const FILTER_FOOTER = 'type a name or group  enter keep  esc clear  ↑↓ select'

/**
 * The action of one key press. `typing`: the filter is being typed, so letters are text (but
 * Ctrl-C, which always quits); `page`: how many rows a page key moves.
 */
export function actionOf(input: string, key: KeyFlags, typing: boolean, page: number): Action {
  if (key.ctrl && input === 'c')
    return { kind: 'quit' }
  if (key.upArrow)
    return { kind: 'move', by: -1 }
  if (key.downArrow)
    return { kind: 'move', by: 1 }
  if (key.pageUp)
    return { kind: 'move', by: -Math.max(1, page) }
  if (key.pageDown)
    return { kind: 'move', by: Math.max(1, page) }
  if (key.home)
    return { kind: 'first' }
  if (key.end)
    return { kind: 'last' }
  if (key.escape)
    return { kind: 'clear' }
  if (typing) {
    if (key.return)
      return { kind: 'accept' }
    // Terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`.
    if (key.backspace || key.delete)
      return { kind: 'erase' }
    const text = [...input].filter(ch => ch >= ' ' && ch !== '\x7F').join('')
    return key.ctrl || key.tab || text === '' ? { kind: 'none' } : { kind: 'type', text }
  }
  if (key.ctrl || key.return || key.tab)
    return { kind: 'none' }
  switch (input) {
    case 'k': return { kind: 'move', by: -1 }
    case 'j': return { kind: 'move', by: 1 }
    case 'g': return { kind: 'first' }
    case 'G': return { kind: 'last' }
    case 'r': return { kind: 'restart' }
    case 's': return { kind: 'toggle' }
    case 'l': return { kind: 'logs' }
    case '/': return { kind: 'filter' }
    case 'q': return { kind: 'quit' }
    default: return { kind: 'none' }
  }
}

/**
 * The actions of one read from the terminal: a paste or fast typing brings several keys at once
 * (`/web` then Enter), each taken in turn as if typed alone, `/` and Enter switching to and from the filter.
 * Enter is `\n` as well as `\r`: keys typed before monit took the terminal come as a line the
 * terminal has already turned CR into LF.
 */
export function actionsOf(input: string, key: KeyFlags, typing: boolean, page: number): Action[] {
  const chars = [...input]
  if (chars.length <= 1 || Object.values(key).some(Boolean) && !key.return)
    return [actionOf(input, key, typing, page)]
  const actions: Action[] = []
  for (const ch of chars) {
    const action = ch === '\r' || ch === '\n' ? actionOf('', { return: true }, typing, page) : actionOf(ch, {}, typing, page)
    actions.push(action)
    if (action.kind === 'filter')
      typing = true
    else if (action.kind === 'accept' || action.kind === 'clear')
      typing = false
  }
  return actions
}

