import { afterAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isInDaemonAgentPid } from '../../src/model/agent-spec.ts'
import { isAlive } from '../../src/os/processes.ts'
import { connectLight } from '../../src/pm2/light-client.ts'
import { fixture, freePort } from '../helpers/dev-session.ts'
import { waitUntil } from '../helpers/net.ts'
import { type TestHome, withHome } from '../helpers/pm2-home.ts'
import { type TempWorkspace, tempWorkspaces } from '../helpers/workspace.ts'

// Where the health checks run: inside the PM2 daemon bun-pm spawned; as a process of its own in a
// daemon it did not (PM2's own CLI started it). Either way they restart a worker that turns bad.
const workspaces = tempWorkspaces()
afterAll(workspaces.removeAll)

interface WorkerJson { name: string, pid: number | null, restarts: number, reason: string | null, health: string }

function turning500(): TempWorkspace {
  const port = freePort()
  return workspaces.make(`{ workers: [{ name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${port}/health',
    options: { env: { PORT: '${port}', TURN_AFTER_MS: '3000' }, health: { interval: '200ms', failures: 3 }, max_restarts: 50 } }] }`, { 'web.ts': fixture('health-turns-500.ts') })
}

const environOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')
  }
  catch {
    return []
  }
}
const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1])

/** Starts the workspace, checks `web` ready, then waits for the agent (start has exited) to restart it; returns the status JSON then. */
async function startAndSeeRestart(h: TestHome, ws: TempWorkspace): Promise<{ namespace: string, agent: { running: boolean, pid: number | null }, workers: WorkerJson[] }> {
  const started = await h.cli(['start', '--json'], { cwd: ws.root })
  expect(`${started.stderr}exit ${started.code}`).toBe('exit 0')
  const first = (JSON.parse(started.stdout).workers as WorkerJson[]).find(w => w.name === 'web')!
  expect(first.health).toBe('ready')
  const status = async () => {
    const result = await h.cli(['status', '--json'], { cwd: ws.root })
    expect(result.code).toBe(0)
    return JSON.parse(result.stdout)
  }
  const after = await waitUntil(status, s => s.workers[0].restarts >= 1 && s.workers[0].pid !== null && s.workers[0].pid !== first.pid, 25_000)
  expect(after.workers[0].reason).toBe('GET /health -> 500, 3 times')
  return after
}

describe('where the health checks run', () => {
  test.concurrent('a daemon bun-pm spawned runs them itself: no agent process, PM2 still lists the agent online', () => withHome(async (h) => {
    const ws = turning500()
    const status = await startAndSeeRestart(h, ws)
    const daemonPid = Number(readFileSync(join(h.path, 'pm2.pid'), 'utf8'))
    // No process of the home carries an agent's spec or runs its script (PM2's bun container names it in pm_exec_path).
    const processes = h.processes()
    expect(processes.filter(pid => environOf(pid).some(line => line.startsWith('BUN_PM_AGENT=')))).toEqual([])
    expect(processes).toContain(daemonPid)
    expect(processes.filter(pid => environOf(pid).some(line => /^pm_exec_path=.*\/agent\/main\.(ts|js)$/.test(line)))).toEqual([])
    // PM2 lists the agent online under an id no process has; its state file names the daemon as its host.
    expect(status.agent.running).toBe(true)
    expect(status.agent.pid).toBeGreaterThan(2 ** 22)
    const state = JSON.parse(readFileSync(join(h.path, 'bun-pm', `${status.namespace}.health.json`), 'utf8'))
    expect([state.agentPid, state.hostPid]).toEqual([status.agent.pid, daemonPid])
    // Its notes reach the agent's own log, as a process's output would.
    expect(readFileSync(join(h.path, 'logs', `${status.namespace}-health-out.log`), 'utf8')).toContain(`watching 1 worker(s) of namespace ${status.namespace}`)
    const text = await h.cli(['status'], { cwd: ws.root })
    expect(text.stdout).toContain(`health checks: ${status.namespace}:health (inside the PM2 daemon)`)
    // `pm2 stop` of the agent stops its checks there: status then says it does not run.
    expect(h.pm2(['stop', `${status.namespace}:health`]).code).toBe(0)
    expect((await h.cli(['status'], { cwd: ws.root })).stdout).toContain(`health checks: ${status.namespace}:health is not running`)
    expect(JSON.parse(readFileSync(join(h.path, 'bun-pm', `${status.namespace}.health.json`), 'utf8')).hostPid).toBeUndefined()
  }), 90_000)

  test.concurrent('an error in the agent inside the daemon ends the agent, not the daemon: PM2 restarts it and it checks again', () => withHome(async (h) => {
    const port = freePort()
    const ws = workspaces.make(`{ workers: [{ name: 'web', bun: 'web.ts', heartbeat: 'http://127.0.0.1:${port}/',
      options: { env: { PORT: '${port}' }, health: { interval: '200ms' } } }] }`, { 'web.ts': fixture('serve.ts') })
    const started = await h.cli(['start', '--json'], { cwd: ws.root })
    expect(`${started.stderr}exit ${started.code}`).toBe('exit 0')
    const { namespace, workers: [web] } = JSON.parse(started.stdout)
    const daemonPid = Number(readFileSync(join(h.path, 'pm2.pid'), 'utf8'))
    const client = await connectLight(h.path)
    try {
      const agentOf = async () => (await client.list()).find(p => p.name === `${namespace}:health`)!
      const before = await agentOf()
      // An order the agent does not survive (a spec without workers: reading them throws), sent as a deploy sends one.
      await client.send(before.pmId, { 'bun-pm': 'spec', 'spec': { namespace, workers: null, revision: 1 } })
      const after = await waitUntil(agentOf, a => a.restarts >= 1 && a.status === 'online' && a.pid !== before.pid, 20_000)
      expect(isInDaemonAgentPid(after.pid!)).toBe(true)
    }
    finally {
      client.disconnect()
    }
    expect(isAlive(daemonPid)).toBe(true)
    expect(readFileSync(join(h.path, 'logs', `${namespace}-health-error.log`), 'utf8')).toContain('TypeError')
    // The worker never stopped, and the new agent judges it.
    const status = await waitUntil(async () => JSON.parse((await h.cli(['status', '--json'], { cwd: ws.root })).stdout), s => s.agent.running && s.workers[0].health === 'ready', 20_000)
    expect([status.workers[0].pid, status.workers[0].restarts]).toEqual([web.pid, 0])
  }), 90_000)

  test.concurrent('a daemon PM2\'s own CLI started gets the agent as a process of its own, and it checks', () => withHome(async (h) => {
    expect(h.pm2(['ping']).code).toBe(0)
    const daemonPid = Number(readFileSync(join(h.path, 'pm2.pid'), 'utf8'))
    const ws = turning500()
    const status = await startAndSeeRestart(h, ws)
    const agentPid = status.agent.pid!
    expect(agentPid).toBeLessThan(2 ** 22)
    expect(environOf(agentPid).some(line => line.startsWith('BUN_PM_AGENT='))).toBe(true)
    expect(environOf(agentPid).some(line => /^pm_exec_path=.*\/agent\/main\.(ts|js)$/.test(line))).toBe(true)
    expect(parentOf(agentPid)).toBe(daemonPid)
  }), 90_000)
})
