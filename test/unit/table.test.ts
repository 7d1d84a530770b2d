import { describe, expect, test } from 'bun:test'
import { cellsOf, detailLine, filterRows, layoutColumns, rowLine, titleLine } from '../../src/monit/table.ts'
import type { StatusRow } from '../../src/types/json.ts'

const row = (over: Partial<StatusRow>): StatusRow => ({
  name: 'web', worker: 'web', instance: 0, group: 'primary', pid: 4242, status: 'online', health: 'ready', reason: null, lastCheck: 'GET /health -> 200',
  lastOkAgoMs: 2000, memoryMb: 31, cpu: 0.4, restarts: 0, uptimeMs: 125_000, interpreter: 'bun', ...over,
})

describe('monit: the table', () => {
  const rows = [
    row({ name: 'web#0', instance: 0 }),
    row({ name: 'web#1', instance: 1, pid: 4243, health: 'crash-looping', status: 'waiting restart', restarts: 3, reason: 'exit code 3', uptimeMs: null, memoryMb: null, cpu: null }),
    row({ name: 'mailer', worker: 'mailer', group: 'jobs', pid: null, status: 'stopped', health: 'none', reason: 'stopped', lastOkAgoMs: null, uptimeMs: null, memoryMb: null, cpu: null }),
  ]

  test('the filter keeps units whose name, worker or group has a word of it, any case', () => {
    expect(filterRows(rows, '').map(r => r.name)).toEqual(['web#0', 'web#1', 'mailer'])
    expect(filterRows(rows, 'WEB').map(r => r.name)).toEqual(['web#0', 'web#1'])
    expect(filterRows(rows, '#1').map(r => r.name)).toEqual(['web#1'])
    expect(filterRows(rows, 'jobs').map(r => r.name)).toEqual(['mailer'])
    expect(filterRows(rows, 'jobs, web#0').map(r => r.name)).toEqual(['web#0', 'mailer'])
    expect(filterRows(rows, 'nothing')).toEqual([])
  })

  test('a row\'s cells: PM2\'s status made short, dashes for what a stopped unit has not, the reason or the failing check', () => {
    expect(cellsOf(rows[0]!, [30, 31])).toMatchObject({ name: 'web#0', status: 'online', health: 'ready', pid: '4242', cpu: '0%', memory: '31M', restarts: '0', uptime: '2m5s', lastOk: '2s', reason: '', trend: '    ▁█' })
    expect(cellsOf(rows[1]!, [])).toMatchObject({ status: 'waiting', health: 'crash-looping', memory: '-', cpu: '-', uptime: '-', reason: 'exit code 3', trend: '      ' })
    expect(cellsOf(row({ health: 'unhealthy', lastCheck: 'GET /health -> 500', reason: 'old' }), []).reason).toBe('GET /health -> 500')
  })

  test('columns are as wide as their widest cell; the reason takes the rest, cut with …; every line fits the width', () => {
    const cells = rows.map(r => cellsOf(r, [30, 40, 50]))
    const columns = layoutColumns(cells, 80)
    expect(columns.reduce((sum, c) => sum + c.width + 1, 0)).toBe(80)
    const lines = [titleLine(columns), ...cells.map((c, i) => rowLine(c, columns, i === 1))]
    for (const line of lines)
      expect([...line].length).toBeLessThanOrEqual(80)
    expect(lines[0]).toMatch(/^ NAME +STATUS +HEALTH +PID +CPU +MEM +↺ +UPTIME +LAST OK REASON$/)
    expect(lines[2]).toMatch(/^>web#1 +waiting +crash-looping +4243 +- +- +▁▅█ 3 +- +2s exit code 3$/)
    const narrow = layoutColumns(cells, 70)
    expect(rowLine(cellsOf(row({ reason: 'a reason much too long to fit' }), []), narrow, false)).toEndWith('…')
  })

  test('the detail line says the selected unit in full', () => {
    expect(detailLine(rows[1])).toBe('web#1 (web, group primary) · reason: exit code 3 · last check: GET /health -> 200')
    expect(detailLine(undefined)).toBe('no unit matches the filter')
  })
})
