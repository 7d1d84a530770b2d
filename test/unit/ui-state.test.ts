import { describe, expect, test } from 'bun:test'
import { INITIAL_UI, paneSizes, reduce, selectedIndex, windowStart } from '../../src/monit/ui-state.ts'

const names = ['web#0', 'web#1', 'tick']

describe('monit: selection, filter and panes', () => {
  test('moving stays within the rows; the selection is a unit, kept when rows move', () => {
    const down = reduce(INITIAL_UI, { kind: 'move', by: 1 }, names)
    expect(down.selected).toBe('web#1')
    expect(reduce(down, { kind: 'move', by: 5 }, names).selected).toBe('tick')
    expect(reduce(down, { kind: 'move', by: -5 }, names).selected).toBe('web#0')
    expect(reduce(down, { kind: 'last' }, names).selected).toBe('tick')
    expect(selectedIndex('web#1', ['tick', 'web#1'])).toBe(1)
    // A selected unit the filter hides: the first row is selected.
    expect(selectedIndex('web#1', ['tick'])).toBe(0)
    expect(reduce(INITIAL_UI, { kind: 'move', by: 1 }, [])).toBe(INITIAL_UI)
  })

  test('the filter is typed, erased, kept with Enter and cleared with Esc; l toggles the log pane', () => {
    let ui = reduce(INITIAL_UI, { kind: 'filter' }, names)
    expect(ui.typing).toBe(true)
    for (const text of ['w', 'e', 'x'])
      ui = reduce(ui, { kind: 'type', text }, names)
    ui = reduce(ui, { kind: 'erase' }, names)
    expect(ui.filter).toBe('we')
    ui = reduce(ui, { kind: 'accept' }, names)
    expect(ui).toMatchObject({ filter: 'we', typing: false })
    expect(reduce(ui, { kind: 'clear' }, names)).toMatchObject({ filter: '', typing: false })
    expect(reduce(INITIAL_UI, { kind: 'logs' }, names).logs).toBe(!INITIAL_UI.logs)
    expect(reduce(INITIAL_UI, { kind: 'restart' }, names)).toBe(INITIAL_UI)
  })

  test('the table\'s window keeps the selected row in view', () => {
    expect(windowStart(3, 2, 10)).toBe(0)
    expect(windowStart(50, 0, 10)).toBe(0)
    expect(windowStart(50, 25, 10)).toBe(20)
    expect(windowStart(50, 49, 10)).toBe(40)
  })

  test('at 80x24 (23 lines drawn) the table and the log pane share what the header, detail, message and footer leave', () => {
    const on = paneSizes(23, { logs: true, message: true })
    expect(on.table + 1 + on.logs + 6).toBe(23)
    expect(on.table).toBeGreaterThanOrEqual(10)
    expect(on.logs).toBeGreaterThanOrEqual(5)
    expect(paneSizes(23, { logs: false, message: true })).toEqual({ table: 17, logs: 0 })
  })
})
