import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ProcessDescription } from 'pm2'
import { isInDaemonAgentPid } from '../../src/model/agent-spec.ts'
import { readLiveSnapshot, stateFilePath, writeSnapshot } from '../../src/agent/state-file.ts'
import { toProcView } from '../../src/pm2/process-view.ts'

// An agent inside the daemon: listed by PM2 under an id no process has, alive while PM2 says it is online.
const IN_DAEMON = 2 ** 22 + 77
const listed = (pid: number, status: string, name = 'ns:health') => ({ name, pm_id: 3, pid, pm2_env: { status, namespace: 'ns' } }) as unknown as ProcessDescription

describe('an agent inside the daemon', () => {
  test('its id is above any pid; a real pid is not such an id', () => {
    expect(isInDaemonAgentPid(IN_DAEMON)).toBe(true)
    expect(isInDaemonAgentPid(process.pid)).toBe(false)
  })

  test('PM2\'s listing: it runs while online, has no pid once stopped; a real pid of a process that is gone has none either', () => {
    expect(toProcView(listed(IN_DAEMON, 'online')).pid).toBe(IN_DAEMON)
    expect(toProcView(listed(IN_DAEMON, 'stopped')).pid).toBeNull()
    expect(toProcView(listed(process.pid, 'online', 'web')).pid).toBe(process.pid)
    expect(toProcView(listed(2 ** 22, 'online', 'web')).pid).toBeNull()
  })

  const home = mkdtempSync(join(tmpdir(), 'bun-pm-unit-state-'))
  afterAll(() => rmSync(home, { recursive: true, force: true }))
  const write = (snapshot: { agentPid: number, hostPid?: number }) =>
    writeSnapshot(stateFilePath(home, 'ns'), { namespace: 'ns', writtenAt: Date.now(), processes: {}, ...snapshot })

  test('its state file is live while its daemon runs, and not once it stopped (its last word leaves the daemon out)', () => {
    write({ agentPid: IN_DAEMON, hostPid: process.pid })
    expect(readLiveSnapshot(home, 'ns')?.agentPid).toBe(IN_DAEMON)
    write({ agentPid: IN_DAEMON })
    expect(readLiveSnapshot(home, 'ns')).toBeUndefined()
  })
})
