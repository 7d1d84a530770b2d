import { expect, test } from 'bun:test'
import { serial } from '../../src/model/serial.ts'

test('work runs one piece at a time in the order it came; a failure is reported and the next still runs', async () => {
  const done: string[] = []
  const errors: unknown[] = []
  const queue = serial(error => errors.push(error))
  queue.push(async () => {
    await Bun.sleep(20)
    done.push('slow first')
  })
  queue.push(() => {
    throw new Error('second fails')
  })
  queue.push(() => done.push('third'))
  expect(await queue.run(() => 'fourth')).toBe('fourth')
  expect(done).toEqual(['slow first', 'third'])
  expect(errors.map(e => (e as Error).message)).toEqual(['second fails'])
  await expect(queue.run(() => Promise.reject(new Error('awaited')))).rejects.toThrow('awaited')
  expect(await queue.run(() => 'after a rejection')).toBe('after a rejection')
})
