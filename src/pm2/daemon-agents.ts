// Inside a PM2 daemon bun-pm spawned: its health agents run in the daemon itself instead of as
// processes of their own (a bun process is ~34 MB before it does anything; the checks are a few).
//
// To PM2 an agent stays the app `<namespace>:health` it always was: God forks it (ForkMode.js) and
// gets, instead of a child process, a stand-in with what God uses of one (a pid, send(), kill(),
// stdout/stderr, 'exit'). So PM2 lists it online, stops, restarts and deletes it; its words reach
// the bus with its name; deploys' orders reach it — and the rest of bun-pm sees no difference.
// An agent of another bun-pm install (not this one's script) is forked as before.
//
// The stand-in's pid is above the kernel's largest (PID_MAX_LIMIT, 2^22): no process ever has it,
// so a signal PM2 sends it outside this module reaches nothing; the ones PM2 sends through
// `process.kill` (stop, kill timeout, `pm2 sendSignal`, its liveness checks) reach the stand-in.
// Each incarnation gets its own, as a process would: `start` tells a replaced agent's words from
// its successor's by it.
//
// A bug in an agent must not take the daemon and every worker with it: an uncaught error or
// rejection whose stack is in bun-pm's code ends the agents in this daemon (exit code 1, PM2
// restarts them, as it would a crashed process); any other is the daemon's, and ends it as it
// would have without this module.

import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import { packageRoot } from '../bun-pm-files.ts'
import { AGENT_SPEC_KEY, PID_MAX_LIMIT } from '../model/agent-spec.ts'
import type { AgentSpec } from '../types/agent.ts'

const require = createRequire(import.meta.url)

/** What an agent run here is given, and what it must give back. */
export interface HostedAgentOptions {
  booted: AgentSpec
  home: string
  pid: number
  hostPid: number
  send: (message: unknown) => void
  onMessage: (listener: (packet: unknown) => void) => void
  log: (line: string) => void
}
export type StartHostedAgent = (options: HostedAgentOptions) => Promise<{ stop: () => void }>

/** No pid is this large (isInDaemonAgentPid tells the ids from pids). */
const FIRST_STAND_IN_PID = PID_MAX_LIMIT + 1
let nextPid = FIRST_STAND_IN_PID + (Date.now() % 2 ** 20) * 64
const standIns = new Map<number, StandIn>()

/** A PM2 fork-mode child, as much of one as God uses, whose program is an agent run in this process. */
class StandIn extends EventEmitter {
  readonly pid = nextPid++
  readonly stdout = new EventEmitter()
  readonly stderr = new EventEmitter()
  readonly stdin = null
  connected = true
  exitCode: number | null = null
  private orderListeners: ((packet: unknown) => void)[] = []
  private agent: { stop: () => void } | undefined
  private ended = false

  constructor(env: Record<string, string>, start: StartHostedAgent) {
    super()
    standIns.set(this.pid, this)
    const booted = JSON.parse(env[AGENT_SPEC_KEY]!) as AgentSpec
    const home = env.PM2_HOME ?? process.env.PM2_HOME!
    // Started once God has its handlers on (it does so as spawn returns).
    setImmediate(() => {
      start({
        booted,
        home,
        pid: this.pid,
        hostPid: process.pid,
        send: message => void this.deliverUp(message),
        onMessage: listener => void this.orderListeners.push(listener),
        log: line => this.write(this.stdout, line),
      }).then((agent) => {
        this.agent = agent
        if (this.ended)
          agent.stop()
      }, (error: unknown) => {
        this.write(this.stderr, `health agent: ${(error as Error)?.stack ?? String(error)}`)
        this.exit(1, null)
      })
    })
  }

  write(stream: EventEmitter, line: string): void {
    if (!this.ended)
      stream.emit('data', Buffer.from(`${line}\n`))
  }

  /** As the agent's `process.send`: God's 'message' listener puts it on the bus. */
  private deliverUp(message: unknown): void {
    if (!this.ended)
      setImmediate(() => this.emit('message', message))
  }

  /** God's sendDataToProcessId: to the agent's listeners, asynchronously as over IPC. */
  send(message: unknown): boolean {
    if (this.ended)
      return false
    setImmediate(() => this.orderListeners.forEach(listener => listener(message)))
    return true
  }

  /** A signal to the agent: 0 asks whether it runs, SIGKILL ends it, the usual stop signals stop it with its last word; others do nothing (it has no handler). */
  signal(signal: string | number | undefined): void {
    if (this.ended)
      throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH', errno: -3, syscall: 'kill' })
    if (signal === 0)
      return
    const name = typeof signal === 'number' ? signalName(signal) : signal ?? 'SIGTERM'
    if (name === 'SIGKILL')
      this.end(null, 'SIGKILL')
    else if (name === 'SIGTERM' || name === 'SIGINT' || name === 'SIGQUIT' || name === 'SIGHUP')
      this.end(0, null)
  }

  kill(signal?: string | number): boolean {
    try {
      this.signal(signal)
      return true
    }
    catch {
      return false
    }
  }

  /** The agent's checks end here; the exit reaches God on the next turn, as a child's would. */
  end(code: number | null, signal: string | null): void {
    if (this.ended)
      return
    try {
      this.agent?.stop()
    }
    catch (error) {
      this.write(this.stderr, `health agent: stopping: ${(error as Error)?.stack ?? String(error)}`)
    }
    this.exit(code, signal)
  }

  private exit(code: number | null, signal: string | null): void {
    if (this.ended)
      return
    this.ended = true
    this.exitCode = code
    this.orderListeners = []
    standIns.delete(this.pid)
    setImmediate(() => {
      this.connected = false
      this.emit('exit', code, signal)
      this.emit('close', code, signal)
    })
  }

  disconnect(): void {
    this.connected = false
  }

  ref(): void {}
  unref(): void {}
}

function signalName(signal: number): string {
  const { constants } = require('node:os') as typeof import('node:os')
  return Object.entries(constants.signals).find(([, n]) => n === signal)?.[0] ?? String(signal)
}

/**
 * Makes this daemon host the health agents whose script is `script` (this install's agent): God's
 * fork of one gets a stand-in that runs `start`. Installed by the preload before PM2's modules load.
 */
export function hostAgents(script: string, start: StartHostedAgent): void {
  const childProcess = require('node:child_process') as typeof import('node:child_process') & Record<string, unknown>
  const spawn = childProcess.spawn
  // ForkMode.js reads `require('child_process').spawn` at each fork.
  childProcess.spawn = function (this: unknown, command: string, args: readonly string[], options?: { env?: Record<string, string>, stdio?: unknown }) {
    const env = options?.env
    if (env?.[AGENT_SPEC_KEY] && env.pm_exec_path === script && Array.isArray(options?.stdio) && options.stdio.includes('ipc')) {
      installErrorGuard()
      return new StandIn(env, start)
    }
    // eslint-disable-next-line prefer-rest-params
    return (spawn as (...a: unknown[]) => unknown).apply(this, arguments as unknown as unknown[])
  } as typeof spawn

  const kill = process.kill.bind(process)
  process.kill = function (pid: number, signal?: string | number): true {
    const standIn = standIns.get(Number(pid))
    if (standIn) {
      standIn.signal(signal)
      return true
    }
    return kill(pid, signal)
  }
}

let guarded = false

/** From the first hosted agent on: an error of an agent's ends the agents, not the daemon. */
function installErrorGuard(): void {
  if (guarded)
    return
  guarded = true
  const ours = [`${packageRoot()}/src/`, `${packageRoot()}/dist/`]
  const isAgents = (error: unknown) => {
    const stack = String((error as Error)?.stack ?? '')
    return standIns.size > 0 && ours.some(folder => stack.includes(folder))
  }
  const guard = (what: string) => (error: unknown) => {
    if (!isAgents(error)) {
      // As it would have ended without this handler.
      console.error(error)
      process.exit(1)
    }
    console.error(`bun-pm: a health agent in this daemon failed (${what}); PM2 restarts it:`, error)
    for (const standIn of [...standIns.values()]) {
      standIn.write(standIn.stderr, `health agent: ${(error as Error)?.stack ?? String(error)}`)
      standIn.end(1, null)
    }
  }
  process.on('uncaughtException', guard('uncaughtException'))
  process.on('unhandledRejection', guard('unhandledRejection'))
}
