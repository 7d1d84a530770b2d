import { describe, expect, test } from 'bun:test'
import { actionOf, actionsOf, FOOTER } from '../../src/monit/keys.ts'

describe('monit: keys to actions', () => {
  test('in the table: arrows and j/k move, r restarts, s stops or starts, / filters, l toggles the logs, q quits', () => {
    expect(actionOf('', { downArrow: true }, false, 10)).toEqual({ kind: 'move', by: 1 })
    expect(actionOf('', { upArrow: true }, false, 10)).toEqual({ kind: 'move', by: -1 })
    expect(actionOf('j', {}, false, 10)).toEqual({ kind: 'move', by: 1 })
    expect(actionOf('k', {}, false, 10)).toEqual({ kind: 'move', by: -1 })
    expect(actionOf('', { pageDown: true }, false, 10)).toEqual({ kind: 'move', by: 10 })
    expect(actionOf('r', {}, false, 10)).toEqual({ kind: 'restart' })
    expect(actionOf('s', {}, false, 10)).toEqual({ kind: 'toggle' })
    expect(actionOf('/', {}, false, 10)).toEqual({ kind: 'filter' })
    expect(actionOf('l', {}, false, 10)).toEqual({ kind: 'logs' })
    expect(actionOf('q', {}, false, 10)).toEqual({ kind: 'quit' })
    expect(actionOf('x', {}, false, 10)).toEqual({ kind: 'none' })
  })

  test('Ctrl-C quits, even while the filter is typed; there letters are text, Enter keeps it, Esc clears it', () => {
    expect(actionOf('c', { ctrl: true }, false, 10)).toEqual({ kind: 'quit' })
    expect(actionOf('c', { ctrl: true }, true, 10)).toEqual({ kind: 'quit' })
    expect(actionOf('q', {}, true, 10)).toEqual({ kind: 'type', text: 'q' })
    expect(actionOf('r', {}, true, 10)).toEqual({ kind: 'type', text: 'r' })
    expect(actionOf('', { return: true }, true, 10)).toEqual({ kind: 'accept' })
    expect(actionOf('', { escape: true }, true, 10)).toEqual({ kind: 'clear' })
    // Backspace arrives as DEL, which Ink calls `delete`.
    expect(actionOf('', { delete: true }, true, 10)).toEqual({ kind: 'erase' })
    expect(actionOf('', { backspace: true }, true, 10)).toEqual({ kind: 'erase' })
    expect(actionOf('', { downArrow: true }, true, 10)).toEqual({ kind: 'move', by: 1 })
  })

  test('keys that come together (a paste, fast typing) are taken one by one, / and Enter switching to and from the filter', () => {
    expect(actionsOf('/jobs\r', {}, false, 10)).toEqual([
      { kind: 'filter' }, { kind: 'type', text: 'j' }, { kind: 'type', text: 'o' }, { kind: 'type', text: 'b' }, { kind: 'type', text: 's' }, { kind: 'accept' },
    ])
    // Typed before monit had the terminal in raw mode: a line, Enter already made LF.
    expect(actionsOf('/jobs\n', {}, false, 10).at(-1)).toEqual({ kind: 'accept' })
    expect(actionsOf('jjr', {}, false, 10)).toEqual([{ kind: 'move', by: 1 }, { kind: 'move', by: 1 }, { kind: 'restart' }])
    expect(actionsOf('q', {}, false, 10)).toEqual([{ kind: 'quit' }])
  })

  test('the footer names every key and fits 80 columns', () => {
    for (const key of ['↑↓/jk', 'r restart', 's stop/start', '/ filter', 'l logs', 'q quit'])
      expect(FOOTER).toContain(key)
    expect([...FOOTER].length).toBeLessThanOrEqual(80)
  })
})
