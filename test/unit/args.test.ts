import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toList } from '../../src/model/args.ts'
import { planWorkers } from '../../src/plan/plan-workers.ts'
import { toExportModel } from '../../src/export/model.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'
import type { LoadedWorker, LoadedWorkspace } from '../../src/config/load.ts'

const root = mkdtempSync(join(tmpdir(), 'bun-pm-args-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

test('an argument string is split as PM2 splits it: on spaces, quotes kept together', () => {
  expect(toList('--title "my app" --smol')).toEqual(['--title', 'my app', '--smol'])
  expect(toList('--name \'John Doe\' -v')).toEqual(['--name', 'John Doe', '-v'])
  expect(toList('NAME="a b" -v')).toEqual(['NAME="a b"', '-v'])
  expect(toList(['--x', 'y z'])).toEqual(['--x', 'y z'])
  expect(toList(undefined)).toEqual([])
})

test('start and export hand a worker the same interpreter arguments', () => {
  writeFileSync(join(root, 'app.js'), 'setInterval(() => {}, 1000)\n')
  const worker: LoadedWorker = {
    name: 'app', group: 'primary', activated: true, health: toHealthPolicy(undefined, {}), dependsOn: [], replicas: 1,
    interpreter: 'node', scripts: { node: 'app.js' }, options: { interpreter_args: '--title "my app" --max-old-space-size=256' }, env: {},
  }
  const workspace: LoadedWorkspace = { root, configFile: join(root, 'pm.config.ts'), configLabel: 'pm.config.ts', namespace: 'args', mode: 'start', envName: 'production', rules: { names: new Set() }, workers: [worker] }
  const [planned] = planWorkers(workspace, [worker])
  const exported = toExportModel(workspace, [worker], { bunVersion: '1.4.5', nodeMajor: 20, fileEnv: {} }).workers[0]!
  expect(planned!.startOptions.interpreter_args).toEqual(['--title', 'my app', '--max-old-space-size=256'])
  expect(exported.interpreterArgs).toEqual(planned!.startOptions.interpreter_args as string[])
})
