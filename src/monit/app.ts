// The screen, in Ink: the header, the table, the selected unit's detail and output, the footer.
// Thin: what it shows is decided in the pure files beside it; the keys go to ui-state or actions.
// React elements are made with createElement (`h`), not JSX: the import check's parser reads no .tsx.
import { createElement as h, useEffect, useRef, useState } from 'react'
import { Box, Text, useApp, useInput, useStdout } from 'ink'
import { STREAM_MARK } from './log-buffer.ts'
import { actionsOf, FILTER_FOOTER, FOOTER } from './keys.ts'
import type { Live } from './live.ts'
import type { Actions } from './actions.ts'
import type { StatusRow } from '../types/json.ts'
import { headerLines, type Source } from './source.ts'
import { cellsOf, detailLine, filterRows, layoutColumns, rowSegments, titleLine } from './table.ts'
import { INITIAL_UI, paneSizes, reduce, selectedIndex, type UiState, windowStart } from './ui-state.ts'

export interface AppProps {
  live: Live
  actions: Actions
  source: Source
  namespace: string
  color: boolean
}

const HEALTH_COLORS: Record<string, string> = { 'ready': 'green', 'starting': 'yellow', 'unhealthy': 'red', 'crash-looping': 'red', 'errored': 'red' }

/** One line of the screen, cut at its right edge. */
const line = (key: string, text: string, style: Record<string, unknown> = {}) => h(Text, { key, wrap: 'truncate', ...style }, text === '' ? ' ' : text)

export function MonitApp({ live, actions, source, namespace, color }: AppProps) {
  const { exit } = useApp()
  const { stdout } = useStdout()
  const [size, setSize] = useState({ cols: stdout.columns || 80, rows: stdout.rows || 24 })
  const [ui, setUi] = useState<UiState>(INITIAL_UI)
  const [said, setSaid] = useState<{ text: string, at: number }>()
  const [, redraw] = useState(0)
  const pending = useRef<string | undefined>(undefined)
  const quitting = useRef(false)

  useEffect(() => {
    const onResize = () => setSize({ cols: stdout.columns || 80, rows: stdout.rows || 24 })
    stdout.on('resize', onResize)
    return () => void stdout.off('resize', onResize)
  }, [stdout])
  useEffect(() => {
    live.subscribe(() => redraw(n => n + 1))
    // Uptimes and check ages move on between two listings.
    const clock = setInterval(() => redraw(n => n + 1), 1000)
    return () => clearInterval(clock)
  }, [live])

  const all = live.rows()
  const rows = filterRows(all, ui.filter)
  const names = rows.map(r => r.name)
  const index = selectedIndex(ui.selected, names)
  const selected = rows[index]
  const height = size.rows - 1
  const panes = paneSizes(height, { logs: ui.logs, message: true })
  useEffect(() => live.show(ui.logs ? selected?.name ?? null : null), [live, ui.logs, selected?.name])

  const act = (kind: 'restart' | 'toggle', selected: StatusRow | undefined) => {
    if (!selected)
      return
    if (pending.current) {
      setSaid({ text: `${pending.current} is still under way`, at: Date.now() })
      return
    }
    const worker = selected.worker
    pending.current = `${kind === 'restart' ? 'the restart' : 'the stop/start'} of ${worker}`
    const doing = kind === 'restart' ? 'restarting' : selected.status === 'online' ? 'stopping' : 'starting'
    setSaid({ text: `${doing} ${worker}…`, at: Date.now() })
    void actions[kind](worker).then((text) => {
      pending.current = undefined
      setSaid({ text, at: Date.now() })
      live.refresh()
      if (quitting.current)
        exit()
    })
  }
  useInput((input, key) => {
    let next = ui
    for (const action of actionsOf(input, key, ui.typing, panes.table)) {
      if (action.kind === 'quit') {
        // A restart half done would leave two versions side by side: it finishes first, unless asked twice.
        if (pending.current && !quitting.current) {
          quitting.current = true
          setSaid({ text: `quitting once ${pending.current} is done (q again quits now; the workers keep running either way)`, at: Date.now() })
          break
        }
        exit()
        return
      }
      const shown = filterRows(all, next.filter)
      if (action.kind === 'restart' || action.kind === 'toggle')
        act(action.kind, shown[selectedIndex(next.selected, shown.map(r => r.name))])
      else
        next = reduce(next, action, shown.map(r => r.name))
    }
    setUi(next)
  })

  const cells = rows.map(row => cellsOf(row, live.samples(row.name)))
  const columns = layoutColumns(cells, size.cols)
  const top = windowStart(rows.length, index, panes.table)
  const note = live.lastNote()
  const message = note && (!said || note.at > said.at) ? note : said
  const [title, summary] = headerLines({ source, namespace, rows: all, shown: rows.length, filter: ui.filter })
  const logLines = selected && ui.logs ? live.logs.last(selected.name, panes.logs) : []
  const paint = (name: string | undefined) => color ? name : undefined

  const tableLines = Array.from({ length: panes.table }, (_, i) => {
    const at = top + i
    const row = rows[at]
    if (!row)
      return line(`blank${i}`, '')
    // Neighbouring cells of one style are one Text: fewer nodes for Ink to lay out each frame.
    const runs: { color?: string, dim: boolean, text: string }[] = []
    for (const { key, text } of rowSegments(cells[at]!, columns, at === index)) {
      const style = { color: key === 'health' ? paint(HEALTH_COLORS[row.health]) : undefined, dim: color && at !== index && (key === 'trend' || row.pid === null) }
      const last = runs.at(-1)
      if (last && last.color === style.color && last.dim === style.dim)
        last.text += text
      else
        runs.push({ ...style, text })
    }
    return h(Text, { key: row.name, wrap: 'truncate', inverse: color && at === index }, ...runs.map((run, i) => h(Text, { key: i, color: run.color, dimColor: run.dim }, run.text)))
  })
  const logPane = !ui.logs
    ? []
    : [
        line('logtitle', `── ${selected ? `${selected.name}: its output (${STREAM_MARK.out} stdout, ${STREAM_MARK.err} stderr)` : 'output'} ──`, { dimColor: color }),
        ...Array.from({ length: panes.logs }, (_, i) => {
          const entry = logLines[i]
          if (!entry)
            return line(`log${i}`, '')
          const mark = h(Text, { color: paint(entry.stream === 'err' ? 'red' : undefined), dimColor: color && entry.stream === 'out' }, STREAM_MARK[entry.stream])
          return h(Text, { key: `log${i}`, wrap: 'truncate' }, mark, ` ${entry.text}`)
        }),
      ]
  return h(Box, { flexDirection: 'column', width: size.cols, height },
    line('title', title, { bold: color }),
    line('summary', summary),
    line('columns', titleLine(columns), { dimColor: color }),
    ...tableLines,
    line('detail', detailLine(selected), { color: paint('cyan') }),
    ...logPane,
    line('message', message?.text ?? '', { color: paint('yellow') }),
    line('footer', ui.typing ? `/${ui.filter}▏  ${FILTER_FOOTER}` : FOOTER, { dimColor: color && !ui.typing }))
}
