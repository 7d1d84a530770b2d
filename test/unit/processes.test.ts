import { expect, test } from 'bun:test'
import { runsPerStat } from '../../src/os/processes.ts'

test('a zombie has ended, but not one whose other thread is taking its pid over in execve (a bun --watch reload)', () => {
  // Fields after the name of /proc/<pid>/stat: state first, num_threads 18th, start time 20th.
  const stat = (state: string, threads: number) => `${state} 26141 26141 16044 0 -1 4228108 6064 0 0 0 11 1 0 0 20 0 ${threads} 0 914287`.split(' ')
  expect(runsPerStat(stat('S', 1))).toBe(true)
  expect(runsPerStat(stat('Z', 1))).toBe(false)
  // Seen by the watchdog of a launcher mid-reload: the main thread exited, the exec'ing thread not yet in its place.
  expect(runsPerStat(stat('Z', 2))).toBe(true)
  expect(runsPerStat(undefined)).toBe(true)
})
