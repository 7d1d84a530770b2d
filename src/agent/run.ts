// The health agent, whatever runs it: checks a namespace's workers after `start` has returned,
// restarts or stops them as the lifecycle decides, keeps its state in the PM2 home for `status`,
// and tells any listener on PM2's bus (dev, `start`, `start --attach`) what changed. Its host is
// a process of its own (main.ts, the PM2 app `<namespace>:health`) or, in a daemon bun-pm
// spawned, that daemon (in-daemon.ts): the same app to PM2, with no process of its own.
import type { Pm2Client } from '../pm2/client.ts'
import { trace } from '../trace.ts'
import { newestSpec } from '../model/agent-spec.ts'
import { type Judged, startMonitor } from './monitor.ts'
import { describeProcess } from './track.ts'
import { readSnapshot, stateFilePath, writeSnapshot } from './state-file.ts'
import type { Note } from '../types/health.ts'
import type { AgentOrder, AgentSpec, AgentWord } from '../types/agent.ts'
import type { HealthSnapshot } from '../types/agent.ts'

/** What the agent needs from whatever runs it. */
export interface AgentHost {
  /** The spec it was started with (PM2 keeps it in the app's environment). */
  booted: AgentSpec
  home: string
  /** Its id in its words and state file: the pid PM2 lists it by. */
  pid: number
  /** Set when it runs inside the PM2 daemon: the daemon's pid (see HealthSnapshot.hostPid). */
  hostPid?: number
  connect: (home: string) => Promise<Pm2Client>
  /** A message to PM2's bus, as `process.send` of a PM2 app. */
  send: (message: unknown) => void
  /** Orders from PM2's sendDataToProcessId. */
  onMessage: (listener: (packet: unknown) => void) => void
  /** A line for the app's log (its notes). */
  log: (line: string) => void
}

/** A running agent: `stop` ends its checks and writes its last word (the next agent starts from it). */
export interface RunningAgent {
  stop: () => void
}

/** How long changes gather before the agent says them (a readiness is said at most this late). */
const PUBLISH_EVERY_MS = 15
/** Notes said at once: the agent restarts or stops the worker right after them. */
const URGENT = new Set<Note['kind']>(['restart', 'errored', 'failed'])

export async function runAgent(host: AgentHost): Promise<RunningAgent> {
  const { booted, home } = host
  const path = stateFilePath(home, booted.namespace)
  const saved = readSnapshot(path)
  // Restarted by PM2, the environment holds the spec this agent was first started with: a newer
  // one it was sent since is in its state file.
  let spec = newestSpec(saved?.namespace === booted.namespace ? saved.spec : undefined, booted)!
  let stopped = false
  trace('agent loaded', { as: 'agent' })
  const client = await host.connect(home)
  trace('agent connected', { as: 'agent' })
  const bus = await client.launchBus()
  /** The state file for `status`, and the word on the bus for dev, start and --attach. */
  const publish = (processes: ReadonlyMap<number, Judged>, notes: Note[], hello = false) => {
    const snapshot: HealthSnapshot = {
      namespace: spec.namespace,
      agentPid: host.pid,
      ...(host.hostPid !== undefined && !stopped && { hostPid: host.hostPid }),
      writtenAt: Date.now(),
      processes: Object.fromEntries([...processes].map(([pmId, { id, state }]) => [String(pmId), describeProcess(id, state)])),
      spec,
    }
    writeSnapshot(path, snapshot)
    host.send({ type: 'process:msg', data: { 'bun-pm': 'health', 'agent': host.pid, 'processes': snapshot.processes, notes, hello, 'specRevision': spec.revision } satisfies AgentWord })
    for (const note of notes)
      host.log(note.text)
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
  trace('agent said hello', { as: 'agent' })
  host.log(`watching ${Object.keys(spec.workers).length} worker(s) of namespace ${spec.namespace}`)

  // A deploy sends the spec of the versions it starts: judged from now on, said at once.
  host.onMessage((message) => {
    const packet = message as { topic?: string, data?: Partial<AgentOrder> } | undefined
    const order = packet?.data
    if (stopped || packet?.topic !== 'bun-pm' || order?.['bun-pm'] !== 'spec' || !order.spec || order.spec.namespace !== spec.namespace)
      return
    spec = order.spec
    monitor.setSpec(spec)
    flush()
    publish(monitor.processes(), [])
  })

  return {
    stop: () => {
      if (stopped)
        return
      monitor.close()
      // The state file keeps the last word: the next agent starts from it. Written as stopped
      // (without the daemon's pid): `status` must not take it for a running agent's.
      stopped = true
      flush()
      if (host.hostPid !== undefined)
        publishLast(path, host.pid)
      client.disconnect()
    },
  }
}

/** Rewrites the state file of an agent that stopped inside the daemon without the daemon's pid. */
function publishLast(path: string, agentPid: number): void {
  const last = readSnapshot(path)
  if (last && last.agentPid === agentPid && last.hostPid !== undefined) {
    const { hostPid: _, ...rest } = last
    writeSnapshot(path, rest)
  }
}
