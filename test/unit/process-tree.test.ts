import { expect, test } from 'bun:test'
import { childrenOf, descendantsOf } from '../../src/os/process-tree.ts'

test('descendants come depth first, each after its own, as PM2\'s TreeKill orders them', () => {
  const tree: Record<number, number[]> = { 1: [2, 5], 2: [3, 4], 5: [6] }
  expect(descendantsOf(1, pid => tree[pid] ?? [])).toEqual([3, 4, 2, 6, 5])
  expect(descendantsOf(6, pid => tree[pid] ?? [])).toEqual([])
})

test('a pid met twice (reused while the tree was read) is taken once', () => {
  const tree: Record<number, number[]> = { 1: [2], 2: [1, 3], 3: [2] }
  expect(descendantsOf(1, pid => tree[pid] ?? [])).toEqual([3, 2])
})

test('the kernel\'s list: a child this process spawned, and nothing for a process that is gone', async () => {
  const child = Bun.spawn(['sleep', '30'])
  try {
    expect(childrenOf(process.pid)).toContain(child.pid)
    expect(descendantsOf(process.pid)).toContain(child.pid)
  }
  finally {
    child.kill('SIGKILL')
    await child.exited
  }
  expect(childrenOf(child.pid)).toEqual([])
})
