import { describe, expect, test } from 'bun:test'
import { enableSteps, isStartupUnit, renderStartupUnit, startArgsOf, startupUnitConfig, startupUnitName, type StartupUnitInput } from '../../src/export/startup-unit.ts'

const input: StartupUnitInput = {
  scope: 'system',
  namespace: 'My_Shop.v2',
  configFile: '/srv/my shop/pm.config.ts',
  root: '/srv/my shop 100%',
  bun: '/srv/my shop 100%/node_modules/bun/bin/bun',
  cli: '/srv/my shop 100%/node_modules/bun-pm/dist/commands/exec-process.js',
  startArgs: ['--workers=a,b', '--env=$prod'],
  pm2Home: '/home/ann/.pm2',
  path: ['/opt/node/bin', '/usr/bin'],
  user: 'ann',
  stopMs: 100_000,
}

const line = (unit: string, key: string) => unit.split('\n').filter(l => l.startsWith(`${key}=`))

describe('startup unit', () => {
  test('named after the namespace as systemd allows; recognised by its first line', () => {
    expect(startupUnitName('My_Shop.v2')).toBe('bun-pm-my-shop-v2.service')
    const unit = renderStartupUnit(input)
    expect(isStartupUnit(unit)).toBe(true)
    expect(isStartupUnit(`[Unit]\n${unit}`)).toBe(false)
    // Which workspace it is for: another of the same name is told apart.
    expect(startupUnitConfig(unit)).toBe('/srv/my shop/pm.config.ts')
    expect(startupUnitConfig('[Unit]\n')).toBeUndefined()
  })

  test('a system unit: the user, the network, multi-user.target; paths quoted and specifiers escaped', () => {
    const unit = renderStartupUnit(input)
    expect(line(unit, 'User')).toEqual(['User=ann'])
    expect(line(unit, 'After')).toEqual(['After=network-online.target'])
    expect(line(unit, 'WantedBy')).toEqual(['WantedBy=multi-user.target'])
    expect(line(unit, 'WorkingDirectory')).toEqual(['WorkingDirectory=/srv/my shop 100%%'])
    expect(line(unit, 'ExecStart')).toEqual(['ExecStart="/srv/my shop 100%%/node_modules/bun/bin/bun" --no-env-file "/srv/my shop 100%%/node_modules/bun-pm/dist/commands/exec-process.js" start --attach --workers=a,b --env=$$prod'])
    expect(line(unit, 'Environment')).toEqual(['Environment=PM2_HOME=/home/ann/.pm2', 'Environment=PATH=/opt/node/bin:/usr/bin'])
    expect(line(unit, 'KillMode')).toEqual(['KillMode=mixed'])
    // 100 s of kill_timeouts and 30 s more.
    expect(line(unit, 'TimeoutStopSec')).toEqual(['TimeoutStopSec=2m10s'])
  })

  test('a user unit: no User=, no network target, default.target; at least 90 s to stop', () => {
    const unit = renderStartupUnit({ ...input, scope: 'user', stopMs: 1600 })
    expect(line(unit, 'User')).toEqual([])
    expect(line(unit, 'After')).toEqual([])
    expect(line(unit, 'WantedBy')).toEqual(['WantedBy=default.target'])
    expect(line(unit, 'TimeoutStopSec')).toEqual(['TimeoutStopSec=1m30s'])
    expect(unit).toContain('`bun-pm unstartup --user` disables and removes it')
  })

  test('start\'s flags passed on; the steps to enable it, by startup again or by hand', () => {
    expect(startArgsOf({ workers: ['a'], groups: ['g', 'h'], noDeps: true }, 'staging')).toEqual(['--workers=a', '--group=g,h', '--no-deps', '--env=staging'])
    expect(startArgsOf({}, undefined)).toEqual([])
    expect(enableSteps('system', '/etc/systemd/system/bun-pm-x.service', { again: ['--workers=a', '--cwd=/srv/my shop'] })).toEqual([
      `sudo bun-pm startup --workers=a '--cwd=/srv/my shop' --install`,
      `or by hand: bun-pm startup --workers=a '--cwd=/srv/my shop' > bun-pm-x.service && sudo install -m 0644 bun-pm-x.service /etc/systemd/system/bun-pm-x.service && sudo systemctl daemon-reload && sudo systemctl enable --now bun-pm-x.service`,
    ])
    expect(enableSteps('user', '/home/ann/.config/systemd/user/bun-pm-x.service', { user: 'ann', again: ['--user'], written: 'x.service' })).toEqual([
      'install -m 0644 x.service /home/ann/.config/systemd/user/bun-pm-x.service && systemctl --user daemon-reload && systemctl --user enable --now bun-pm-x.service',
      'at boot without a login: sudo loginctl enable-linger ann',
    ])
  })
})
