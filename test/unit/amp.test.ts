// PM2's frames on rpc.sock (src/pm2/amp.ts), checked against the library PM2's daemon itself
// decodes and encodes them with (amp-message, shipped with pm2).
import { expect, test } from 'bun:test'
import { createRequire } from 'node:module'
import { encodeFrame, FrameReader, pack, unpack } from '../../src/pm2/amp.ts'

const require = createRequire(import.meta.url)
const Message = require('amp-message') as new (args: Buffer | unknown[]) => { args: unknown[], toBuffer: () => Buffer }

test('a call as bun-pm frames it is what amp-message reads on the daemon\'s side', () => {
  const call = { type: 'call', method: 'getMonitorData', args: [{ bunPmSlim: true, name: 'é ✓' }] }
  expect(new Message(encodeFrame([call, '4242:7'])).args).toEqual([call, '4242:7'])
  expect(new Message(encodeFrame([undefined, null, 3, Buffer.from([1, 2])])).args).toEqual([null, null, 3, Buffer.from([1, 2])])
})

test('an answer as the daemon frames it is read back whole, however the stream cuts it', () => {
  const list = Array.from({ length: 300 }, (_, i) => ({ name: `w${i}`, pm_id: i, pm2_env: { status: 'online', text: 'x'.repeat(i) } }))
  const frames = Buffer.concat([
    new Message([{ args: [list] }, '1:0']).toBuffer(),
    new Message([{ error: 'process name not found', stack: 'Error: …' }, '1:1']).toBuffer(),
  ])
  // Every cut: byte by byte, in odd sizes, and all at once.
  for (const size of [1, 3, 4096, 65_536, frames.length]) {
    const reader = new FrameReader()
    const messages: unknown[][] = []
    for (let at = 0; at < frames.length; at += size)
      messages.push(...reader.push(frames.subarray(at, at + size)))
    expect(messages).toEqual([[{ args: [list] }, '1:0'], [{ error: 'process name not found', stack: 'Error: …' }, '1:1']])
  }
})

test('pack and unpack: strings as s:, anything else as JSON, bytes as they are', () => {
  expect(pack('a').toString()).toBe('s:a')
  expect(pack({ a: 1 }).toString()).toBe('j:{"a":1}')
  expect(pack(undefined).toString()).toBe('j:null')
  expect(unpack(Buffer.from('s:a:b'))).toBe('a:b')
  expect(unpack(Buffer.from('j:[1]'))).toEqual([1])
  expect(unpack(Buffer.from([0, 1, 2]))).toEqual(Buffer.from([0, 1, 2]))
})
