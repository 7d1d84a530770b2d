// The package's entry, for pm.config.ts and for workers: defineWorkspace, the types, heartbeat()
// and serve().

import type { Workspace } from './types/config.ts'

export type { Duration, EnvSource, HealthOptions, Interpreter, Mode, Selection, Worker, WorkerOptions, Workspace, WorkspaceOverride } from './types/config.ts'
export type { AgentJson, DevEvent, DevEventJson, DevJsonLine, ExplainJson, ExportJson, Failure, InitJson, LogLineJson, StartJson, StatusJson, StatusRow } from './types/json.ts'
export type { LogOptions } from './types/logs.ts'
export { BUILTIN_DEFAULTS } from './config/defaults.ts'
export { heartbeat } from './worker/heartbeat.ts'
export { type DrainOptions, serve } from './worker/serve.ts'

/**
 * Declares the workspace in `pm.config.ts`. It returns its argument unchanged: it exists so that
 * the editor checks and explains the config.
 * @example
 * export default defineWorkspace({
 *   workers: [{ name: 'web', bun: 'workers/web.ts', options: { env: { PORT: '3000' } } }],
 * })
 */
export function defineWorkspace(workspace: Workspace): Workspace {
  return workspace
}
