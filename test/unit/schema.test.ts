import { describe, expect, test } from 'bun:test'
import { pm2OptionErrors, runAsErrors } from '../../src/pm2/schema.ts'

describe('what PM2 would refuse at spawn, said when the config loads', () => {
  test('PM2\'s own validator and cron parser, in words', () => {
    expect(pm2OptionErrors({ kill_timeout: 'soon' })).toEqual(['`kill_timeout` must be a number, not "soon"'])
    expect(pm2OptionErrors({ min_uptime: '500ms' })[0]).toStartWith('`min_uptime` "500ms" is not what PM2 reads: it should be a NUMBER')
    expect(pm2OptionErrors({ max_restarts: -1 })).toEqual(['`max_restarts` -1 is below PM2\'s minimum, 0'])
    expect(pm2OptionErrors({ cron_restart: '61 * * * *' })[0]).toStartWith('`cron_restart` "61 * * * *" is not a cron pattern PM2 reads (minutes value out of range')
    // What bun-pm reads itself is not PM2's to judge as written; good values pass.
    expect(pm2OptionErrors({ instances: 'max', min_uptime: '30s', kill_timeout: 5000, cron_restart: '0 3 * * *', max_memory_restart: '200M' })).toEqual([])
  })

  test('another user: bun-pm must be root, and the user and group must exist', () => {
    expect(runAsErrors({}, 1000)).toEqual([])
    expect(runAsErrors({ uid: 'root' }, 1000)).toEqual(['`uid` needs bun-pm to run as root: PM2 starts a process as another user only then; run it as root (sudo), or remove `uid`'])
    expect(runAsErrors({ uid: 'root', gid: 'root' }, 0)).toEqual([])
    expect(runAsErrors({ user: 'no-such-user-bun-pm' }, 0)).toEqual(['`user` "no-such-user-bun-pm" is no user of this machine (not in /etc/passwd); create it (useradd no-such-user-bun-pm) or name an existing one'])
    expect(runAsErrors({ uid: 0, gid: 'no-such-group-bun-pm' }, 0)[0]).toStartWith('`gid` "no-such-group-bun-pm" is no group of this machine')
  })
})
