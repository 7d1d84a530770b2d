// monit's table: which rows are shown (the filter, by unit, worker or group), each row's cells, and
// the columns' widths for the terminal's: the reason takes what the others leave. Pure.
import { formatDuration, reasonOf } from '../report/status-table.ts'
import type { StatusRow } from '../types/json.ts'
import { sparkline } from './sparkline.ts'

export type ColumnKey = 'name' | 'status' | 'health' | 'pid' | 'cpu' | 'memory' | 'trend' | 'restarts' | 'uptime' | 'lastOk' | 'reason'

export interface Column {
  key: ColumnKey
  title: string
  width: number
  right?: boolean
}

const COLUMNS: Omit<Column, 'width'>[] = [
  { key: 'name', title: 'NAME' },
  { key: 'status', title: 'STATUS' },
  { key: 'health', title: 'HEALTH' },
  { key: 'pid', title: 'PID', right: true },
  { key: 'cpu', title: 'CPU', right: true },
  { key: 'memory', title: 'MEM', right: true },
  { key: 'trend', title: '' },
  { key: 'restarts', title: '↺', right: true },
  { key: 'uptime', title: 'UPTIME', right: true },
  { key: 'lastOk', title: 'LAST OK', right: true },
  { key: 'reason', title: 'REASON' },
]

/** The widest a name or a status is shown; the rest of it is cut with `…`. */
const MAX_NAME = 24
/** Sparkline width: the samples shown. */
export const TREND_WIDTH = 6

export type Cells = Record<ColumnKey, string>

/**
 * The rows the filter keeps: `web` keeps every unit whose name, worker or group contains it
 * (any case); several words separated by spaces or commas keep what matches any. Empty: all.
 */
export function filterRows(rows: readonly StatusRow[], filter: string): StatusRow[] {
  const words = filter.toLowerCase().split(/[\s,]+/).filter(Boolean)
  if (words.length === 0)
    return [...rows]
  return rows.filter(row => words.some(word => [row.name, row.worker, row.group].some(field => field.toLowerCase().includes(word))))
}

/** PM2's statuses, short enough for a column. */
const SHORT_STATUS: Record<string, string> = { 'waiting restart': 'waiting', 'one-launch-status': 'launching' }

/** One row's cells, as text; `samples`: its memory history (MB), oldest first. */
export function cellsOf(row: StatusRow, samples: readonly number[]): Cells {
  return {
    name: row.name,
    status: SHORT_STATUS[row.status] ?? row.status,
    health: row.health,
    pid: row.pid?.toString() ?? '-',
    cpu: row.cpu === null ? '-' : `${Math.round(row.cpu)}%`,
    memory: row.memoryMb === null ? '-' : `${row.memoryMb}M`,
    trend: sparkline(samples, TREND_WIDTH),
    restarts: String(row.restarts),
    uptime: row.uptimeMs === null ? '-' : formatDuration(row.uptimeMs),
    lastOk: row.lastOkAgoMs === null ? '-' : formatDuration(row.lastOkAgoMs),
    reason: reasonOf(row),
  }
}

/**
 * Each column as wide as its title and its widest cell (a name at most MAX_NAME), one space
 * between columns and one for the selection mark before them; the reason gets the rest of `width`.
 */
export function layoutColumns(cells: readonly Cells[], width: number): Column[] {
  const columns = COLUMNS.map((column) => {
    const widest = Math.max(column.title.length, ...cells.map(c => length(c[column.key])))
    return { ...column, width: column.key === 'name' ? Math.min(MAX_NAME, widest) : widest }
  })
  const used = columns.filter(c => c.key !== 'reason').reduce((sum, c) => sum + c.width + 1, 1)
  columns.find(c => c.key === 'reason')!.width = Math.max(0, width - used)
  return columns
}

/** A cell in its column: padded (numbers to the right), or cut with `…` when longer. */
export function fit(text: string, column: Column): string {
  const chars = [...text]
  if (chars.length > column.width)
    return column.width <= 0 ? '' : `${chars.slice(0, column.width - 1).join('')}…`
  return column.right ? text.padStart(column.width) : text.padEnd(column.width)
}

/** The table's title line, as the rows' cells lay out under it. */
export function titleLine(columns: readonly Column[]): string {
  return ` ${columns.map(c => fit(c.title, c)).join(' ')}`.trimEnd()
}

/** A row's text by column (each cut to its column, a space after it), for the screen to color; `selected` puts `>` first. */
export function rowSegments(cells: Cells, columns: readonly Column[], selected: boolean): { key: ColumnKey | 'mark', text: string }[] {
  return [{ key: 'mark', text: selected ? '>' : ' ' }, ...columns.map((c, i) => ({ key: c.key, text: fit(cells[c.key], c) + (i < columns.length - 1 ? ' ' : '') }))]
}

/** A row as one line of text. */
export function rowLine(cells: Cells, columns: readonly Column[], selected: boolean): string {
  return rowSegments(cells, columns, selected).map(s => s.text).join('').trimEnd()
}

/** The selected unit in full, below the table: its reason and what its last check found, which its row may have had to cut. */
export function detailLine(row: StatusRow | undefined): string {
  if (!row)
    return 'no unit matches the filter'
  const parts = [`${row.name} (${row.worker}, group ${row.group})`, row.reason && `reason: ${row.reason}`, row.lastCheck && `last check: ${row.lastCheck}`]
  return parts.filter(Boolean).join(' · ')
}

function length(text: string): number {
  return [...text].length
}
