// More bun --watch workers than inotify allows is an error before anything starts. Pure.

import { WorkspaceError } from '../errors.ts'
import type { Plan } from '../plan/resolve-plan.ts'

/** Instances left for the user's editor and other tools after dev's workers. */
const HEADROOM = 8

/**
 * Each `bun --watch` worker holds one inotify instance, and a user may hold only so many
 * (fs.inotify.max_user_instances, often 128): past that, bun prints "Failed to enable File
 * Watcher: EMFILE" per worker and the machine thrashes. Pure: the counts come from the OS module.
 * An error names the limit and the fix before anything starts.
 */
export function checkWatchBudget(plan: Plan, { limit, inUse, running = 0 }: { limit: number | undefined, inUse: number, running?: number }): void {
  if (limit === undefined)
    return
  const watching = plan.workers.filter(w => w.startOptions.interpreter_args?.includes('--watch')).length
  // Workers of this session that run already hold theirs, and are counted in `inUse`.
  const more = Math.max(0, watching - running)
  if (inUse + more + HEADROOM <= limit)
    return
  throw new WorkspaceError(`${plan.workspace.configLabel}: dev would run ${watching} bun workers under \`bun --watch\`, one inotify instance each, and this user holds ${inUse} of the ${limit} allowed (fs.inotify.max_user_instances); raise the limit (\`sudo sysctl fs.inotify.max_user_instances=${Math.max(1024, (inUse + watching + HEADROOM) * 2)}\`) or give some workers \`watch: false\` or a \`watch\` list (PM2 then watches them, with one instance in all)`)
}
