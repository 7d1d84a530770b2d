// Loaded workers and workspaces as the config loader makes them, for the pure export tests.
import type { LayeredEnv } from '../../src/config/env.ts'
import type { LoadedWorker, LoadedWorkspace } from '../../src/config/load.ts'
import { toHealthPolicy } from '../../src/model/policy.ts'

/** A bun worker `workers/<name>.ts` of group primary, with `over` laid on it and `env` over NODE_ENV=production. */
export function loadedWorker(name: string, over: Partial<LoadedWorker> = {}, env: LayeredEnv = {}): LoadedWorker {
  return {
    name,
    group: 'primary',
    activated: true,
    health: toHealthPolicy(over.heartbeat, {}),
    dependsOn: [],
    replicas: 1,
    interpreter: 'bun',
    scripts: { bun: `workers/${name}.ts` },
    options: {},
    env: { NODE_ENV: { value: 'production', source: 'mode' }, ...env },
    ...over,
  }
}

/** A workspace at /srv/shop in `start` mode for production, named `namespace`. */
export function loadedWorkspace(workers: LoadedWorker[], namespace = 'shop'): LoadedWorkspace {
  return { root: '/srv/shop', configFile: '/srv/shop/pm.config.ts', configLabel: 'pm.config.ts', namespace, mode: 'start', envName: 'production', rules: { names: new Set() }, workers }
}
