import { describe, expect, test } from 'bun:test'
import { headerLines, summarize } from '../../src/monit/source.ts'
import { chooseSource } from '../../src/start/source.ts'
import type { StatusRow } from '../../src/types/json.ts'

const facts = (over: { forceDev?: boolean, running?: boolean, runsNamespace?: boolean, dev?: boolean }) => ({
  root: '/srv/shop',
  forceDev: over.forceDev ?? false,
  start: { home: '/home/me/.pm2', running: over.running ?? false, runsNamespace: over.runsNamespace ?? false },
  dev: over.dev ? { home: '/run/user/1000/bun-pm/abc', launcherPid: 77 } : undefined,
  command: (command: string) => `npx bun-pm ${command}`,
})

describe('status, logs and monit: which daemon is shown; monit\'s header', () => {
  test('start\'s daemon when it runs the workspace, even beside a dev session; --dev takes the session', () => {
    expect(chooseSource(facts({ running: true, runsNamespace: true, dev: true }))).toEqual({ kind: 'start', home: '/home/me/.pm2' })
    expect(chooseSource(facts({ running: true, runsNamespace: true, dev: true, forceDev: true }))).toEqual({ kind: 'dev', home: '/run/user/1000/bun-pm/abc', launcherPid: 77 })
  })

  test('the dev session when start\'s daemon does not run the workspace; start\'s daemon when nothing else runs it', () => {
    expect(chooseSource(facts({ running: true, runsNamespace: false, dev: true }))).toMatchObject({ kind: 'dev' })
    expect(chooseSource(facts({ running: false, dev: true }))).toMatchObject({ kind: 'dev' })
    expect(chooseSource(facts({ running: true, runsNamespace: false }))).toEqual({ kind: 'start', home: '/home/me/.pm2' })
  })

  test('nothing to show is an error that says how to start it', () => {
    expect(chooseSource(facts({}))).toEqual({ error: 'nothing runs /srv/shop: no PM2 daemon runs for /home/me/.pm2 and no `dev` session of yours runs here; start it with `npx bun-pm start` or `npx bun-pm dev` (or set PM2_HOME to the home of the daemon that runs it)' })
    expect(chooseSource(facts({ forceDev: true, running: true, runsNamespace: true }))).toEqual({ error: '--dev: no `dev` session of yours runs /srv/shop; start one with `npx bun-pm dev`, or leave out --dev for `start`\'s daemon' })
  })

  test('the header says where the units run, how they are, and the filter', () => {
    const rows = (['ready', 'ready', 'crash-looping', 'none'] as const).map(health => ({ health }) as StatusRow)
    expect(summarize(rows, 4)).toBe('4 units: 2 ready, 1 crash-looping, 1 not running')
    expect(summarize([], 0)).toBe('0 units')
    expect(headerLines({ source: { kind: 'start', home: '/home/me/.pm2' }, namespace: 'shop', rows, shown: 2, filter: 'web' }))
      .toEqual(['bun-pm monit · shop · start\'s daemon (PM2_HOME=/home/me/.pm2)', '4 units (2 shown): 2 ready, 1 crash-looping, 1 not running · filter: web'])
    expect(headerLines({ source: { kind: 'dev', home: '/x', launcherPid: 77 }, namespace: 'shop', rows: [], shown: 0, filter: '' })[0]).toBe('bun-pm monit · shop · dev session (pid 77, its own daemon)')
  })
})
