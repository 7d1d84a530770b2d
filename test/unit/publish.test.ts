import { describe, expect, test } from 'bun:test'
import { composePort, loopbackIn, parsePublish } from '../../src/model/publish.ts'
import { validateWorkspace } from '../../src/config/validate.ts'

describe('options.publish', () => {
  test('parses a port, address:port, [IPv6]:port and lists; anything else is a sentence', () => {
    expect(parsePublish(8080)).toEqual([{ port: 8080 }])
    expect(parsePublish(['127.0.0.1:3000', '0.0.0.0:8080', '[::1]:3000', '9000'])).toEqual([{ address: '127.0.0.1', port: 3000 }, { address: '0.0.0.0', port: 8080 }, { address: '::1', port: 3000 }, { port: 9000 }])
    expect(parsePublish(false)).toBe(false)
    expect(parsePublish('localhost:3000')).toEqual({ error: '"localhost:3000": localhost is not an IP address (Docker binds addresses, not names)' })
    expect(parsePublish('1.2.3.400:80')).toHaveProperty('error')
    expect(parsePublish(70000)).toEqual({ error: '70000 is not a port or \'[address:]port\'' })
    expect(parsePublish(true)).toHaveProperty('error')
    expect([composePort({ address: '::1', port: 80 }, 3000), composePort({ port: 80 }, 3000), composePort({ address: '127.0.0.1', port: 3000 }, 3000)]).toEqual(['[::1]:80:3000', '80:3000', '127.0.0.1:3000:3000'])
  })

  test('a wrong publish is one line naming the file, the worker and the fix', () => {
    const config = { workers: [{ name: 'web', bun: 'web.ts', options: { publish: 'localhost:3000' } }] }
    expect(() => validateWorkspace(config, 'pm.config.ts')).toThrow('pm.config.ts: worker "web": `options`: `publish` "localhost:3000": localhost is not an IP address')
    expect(() => validateWorkspace({ workers: [{ name: 'web', bun: 'web.ts', options: { publish: ['0.0.0.0:8080', 127] } }] }, 'pm.config.ts')).not.toThrow()
  })

  test('loopback in a value: a URL or host:port connects, a bare host binds; other hosts are none', () => {
    expect(loopbackIn('redis://:pw@127.0.0.1:6380/0')).toEqual({ how: 'connects', host: '127.0.0.1', port: 6380 })
    expect(loopbackIn('localhost:5432')).toEqual({ how: 'connects', host: 'localhost', port: 5432 })
    expect(loopbackIn('http://[::1]:3000/')).toEqual({ how: 'connects', host: '::1', port: 3000 })
    expect(loopbackIn('127.0.0.1')).toEqual({ how: 'binds', host: '127.0.0.1' })
    expect([loopbackIn('redis://redis:6380'), loopbackIn('0.0.0.0'), loopbackIn('3000'), loopbackIn('info'), loopbackIn('10.0.0.1:80')]).toEqual([undefined, undefined, undefined, undefined, undefined])
  })
})
