import { describe, expect, test } from 'bun:test'
import { layerBaseEnv, layerEnv } from '../../src/config/env.ts'
import { workersWithOtherFiles } from '../../src/dev/follow-imports.ts'
import { retryWatch } from '../../src/dev/retry-on-edit.ts'
import type { PlannedWorker } from '../../src/plan/plan-workers.ts'
import { changedParts, versionParts } from '../../src/model/version.ts'

/** A worker's counted variables for a `.env` file's variables, as load.ts layers them (its options.env over the file). */
const partsFor = (file: Record<string, string>, own: Record<string, string> = {}) =>
  versionParts({}, layerEnv(layerBaseEnv({ files: [['.env', file]], shell: { PATH: '/bin' }, mode: 'dev' }), own, 'options.env'))

describe('what a .env edit changes of a worker (the version start reconciles by)', () => {
  test('a variable it receives that changed, came or went; not one its own env sets, not a save that changes no value', () => {
    expect(changedParts(partsFor({ REPLY: 'first' }), partsFor({ REPLY: 'first' }))).toEqual([])
    expect(changedParts(partsFor({ REPLY: 'first' }), partsFor({ REPLY: 'second' }))).toEqual(['env.REPLY'])
    expect(changedParts(partsFor({ REPLY: 'first' }), partsFor({ REPLY: 'first', LOG_LEVEL: 'debug' }))).toEqual(['env.LOG_LEVEL'])
    expect(changedParts(partsFor({ REPLY: 'first', LOG_LEVEL: 'debug' }), partsFor({ REPLY: 'first' }))).toEqual(['env.LOG_LEVEL'])
    // Its options.env wins over the file: the file's value never reaches it.
    expect(changedParts(partsFor({ REPLY: 'first' }, { REPLY: 'own' }), partsFor({ REPLY: 'second' }, { REPLY: 'own' }))).toEqual([])
  })
})

describe('a PM2-watched worker follows its imports', () => {
  const worker = (name: string, watchedCode?: string[]) => ({ name, script: `/app/${name}.js`, ...(watchedCode && { watchedCode }) }) as PlannedWorker
  test('only workers that watch their own code, and only when its files are other files now', () => {
    const files: Record<string, string[]> = { '/app/api.js': ['/app/api.js', '/app/db.js'], '/app/mail.js': ['/app/mail.js'], '/app/web.js': ['/app/web.js', '/app/new.js'] }
    const workers = [worker('api', ['/app/api.js', '/app/db.js']), worker('mail', ['/app/mail.js', '/app/old.js']), worker('web')]
    expect(workersWithOtherFiles(workers, script => files[script]!)).toEqual(['mail'])
  })
})

describe('an errored worker starts again at an edit of what it watches', () => {
  const planned = (over: Record<string, unknown>) => ({ name: 'api', script: '/app/srv/api.js', options: {}, startOptions: {}, ...over }) as PlannedWorker
  test('the watch folders the user wrote; else its own code, never its script\'s folder', () => {
    const filesOf = (script: string) => [script, '/app/lib/db.ts']
    expect(retryWatch(planned({ options: { watch: ['srv'] }, startOptions: { watch: ['/app/srv'] } }), filesOf)).toEqual({ folders: ['/app/srv'] })
    expect(retryWatch(planned({ watchedCode: ['/app/srv/api.js'] }), filesOf)).toEqual({ files: ['/app/srv/api.js'] })
    expect(retryWatch(planned({ script: '/app/web.ts' }), filesOf)).toEqual({ files: ['/app/web.ts', '/app/lib/db.ts'] })
  })
})
