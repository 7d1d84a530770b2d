// The health agent: run by PM2 in a workspace's namespace (`bun agent.ts`, its spec in
// BUN_PM_AGENT), it checks the namespace's workers after `start` has returned, restarts or stops
// them as the lifecycle decides, keeps its state in the PM2 home for `status`, and tells any
// listener on PM2's bus (dev, `start`, `start --attach`) what changed.
import { connectLight } from '../pm2/light-client.ts'
import { trace } from '../trace.ts'
import { AGENT_SPEC_KEY, newestSpec } from '../model/agent-spec.ts'
import { type Judged, startMonitor } from './monitor.ts'
import { describeProcess } from './track.ts'
import { readSnapshot, stateFilePath, writeSnapshot } from './state-file.ts'
import type { Note } from '../types/health.ts'
import type { AgentOrder, AgentSpec, AgentWord } from '../types/agent.ts'
import type { HealthSnapshot } from '../types/agent.ts'

const booted = JSON.parse(process.env[AGENT_SPEC_KEY] ?? 'null') as AgentSpec | null
const home = process.env.PM2_HOME
if (!booted || !home) {
  console.error(`health agent: ${AGENT_SPEC_KEY} and PM2_HOME must be set; bun-pm starts this agent itself`)
  process.exit(2)
}

/** How long changes gather before the agent says them (a readiness is said at most this late). */
const PUBLISH_EVERY_MS = 15
/** Notes said at once: the agent restarts or stops the worker right after them. */
const URGENT = new Set<Note['kind']>(['restart', 'errored', 'failed'])

// PM2's bun container require()s this file: no top-level await.
void main(booted, home)

async function main(booted: AgentSpec, home: string): Promise<void> {
  const path = stateFilePath(home, booted.namespace)
  const saved = readSnapshot(path)
  // Restarted by PM2, the environment holds the spec this agent was first started with: a newer
  // one it was sent since is in its state file.
  let spec = newestSpec(saved?.namespace === booted.namespace ? saved.spec : undefined, booted)!
  trace('agent loaded')
  const client = await connectLight(home)
  trace('agent connected')
  const bus = await client.launchBus()
  /** The state file for `status`, and the word on the bus for dev, start and --attach. */
  const publish = (processes: ReadonlyMap<number, Judged>, notes: Note[], hello = false) => {
    const snapshot: HealthSnapshot = {
      namespace: spec.namespace,
      agentPid: process.pid,
      writtenAt: Date.now(),
      processes: Object.fromEntries([...processes].map(([pmId, { id, state }]) => [String(pmId), describeProcess(id, state)])),
      spec,
    }
    writeSnapshot(path, snapshot)
    process.send?.({ type: 'process:msg', data: { 'bun-pm': 'health', 'agent': process.pid, 'processes': snapshot.processes, notes, hello, 'specRevision': spec.revision } satisfies AgentWord })
    for (const note of notes)
      console.log(note.text)
  }
  // Changes within PUBLISH_EVERY_MS go out as one word: 100 workers coming up are ~200 changes
  // (and 100 `ready` notes), each a snapshot of all of them through the daemon (busy spawning
  // them) to every listener. A note that comes before an action of the agent's goes at once: a
  // restart's or a stop's reason must reach a terminal before PM2's exit line does.
  let pending: ReadonlyMap<number, Judged> | undefined
  let held: Note[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    clearTimeout(timer)
    if (pending)
      publish(pending, held)
    pending = undefined
    held = []
  }
  const publishSoon = (states: ReadonlyMap<number, Judged>, notes: Note[]) => {
    if (notes.some(note => URGENT.has(note.kind))) {
      clearTimeout(timer)
      const earlier = held
      pending = undefined
      held = []
      publish(states, [...earlier, ...notes])
      return
    }
    if (!pending)
      timer = setTimeout(flush, PUBLISH_EVERY_MS)
    pending = states
    held.push(...notes)
  }
  const monitor = await startMonitor({
    client,
    bus,
    spec,
    restored: saved?.processes,
    onChange: publishSoon,
  })
  // Listening from here on: whoever started this agent may start workers now.
  publish(monitor.processes(), [], true)
  trace('agent said hello')
  console.log(`watching ${Object.keys(spec.workers).length} worker(s) of namespace ${spec.namespace}`)

  // A deploy sends the spec of the versions it starts: judged from now on, said at once.
  process.on('message', (packet: { topic?: string, data?: Partial<AgentOrder> }) => {
    const order = packet?.data
    if (packet?.topic !== 'bun-pm' || order?.['bun-pm'] !== 'spec' || !order.spec || order.spec.namespace !== spec.namespace)
      return
    spec = order.spec
    monitor.setSpec(spec)
    flush()
    publish(monitor.processes(), [])
  })

  // Its parent is the PM2 daemon: without it there is nothing to watch.
  process.once('disconnect', () => process.exit(0))

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      monitor.close()
      // The state file keeps the last word: the next agent starts from it.
      flush()
      client.disconnect()
      process.exit(0)
    })
  }
}
