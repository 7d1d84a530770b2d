import { describe, expect, test } from 'bun:test'
import type { LoadedWorker, LoadedWorkspace } from '../../src/config/load.ts'
import { selectTargets, selectWorkers } from '../../src/plan/select.ts'

describe('selection', () => {
  const worker = (name: string, group: string, extra: Partial<LoadedWorker> = {}) => ({ name, group, activated: true, dependsOn: [], ...extra }) as LoadedWorker
  const ws = {
    configLabel: 'pm.config.ts',
    workers: [
      worker('db', 'infra'),
      worker('web', 'primary', { dependsOn: ['db'] }),
      worker('mail', 'jobs'),
      worker('old', 'jobs', { activated: false }),
    ],
  } as LoadedWorkspace
  const names = (selected: { workers: LoadedWorker[] }) => selected.workers.map(w => w.name)

  test('start: group primary by default, with what it depends on; dev: every activated worker', () => {
    const start = selectWorkers(ws, {}, 'start')
    expect(names(start)).toEqual(['db', 'web'])
    expect(start.added).toEqual([{ name: 'db', neededBy: ['web'] }])
    expect(names(selectWorkers(ws, {}, 'dev'))).toEqual(['db', 'web', 'mail'])
  })

  test('--workers and --group select the union in config order; --no-deps leaves dependencies out', () => {
    expect(names(selectWorkers(ws, { workers: ['mail'], groups: ['primary'] }, 'start'))).toEqual(['db', 'web', 'mail'])
    expect(names(selectWorkers(ws, { workers: ['web'], noDeps: true }, 'start'))).toEqual(['web'])
  })

  test('unknown names suggest the closest; a deactivated worker named is an error; stop/status targets include it', () => {
    expect(() => selectWorkers(ws, { workers: ['wbe'] }, 'dev')).toThrow('pm.config.ts: no worker is named "wbe" (did you mean "web"?)')
    expect(() => selectWorkers(ws, { groups: ['job'] }, 'dev')).toThrow('no worker is in group "job" (did you mean "jobs"?)')
    expect(() => selectWorkers(ws, { workers: ['old'] }, 'dev')).toThrow('worker "old" is deactivated')
    expect(selectTargets(ws, { groups: ['jobs'] }).map(w => w.name)).toEqual(['mail', 'old'])
    expect(selectTargets(ws, {}).map(w => w.name)).toEqual(['db', 'web', 'mail', 'old'])
  })
})
