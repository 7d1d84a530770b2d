// dev figures: save-to-new-code against `bun --watch` alone, and Ctrl-C until the last child is gone.
import { join } from 'node:path'
import { isAlive } from '../src/os/processes.ts'
import { devHome, sessionPids } from '../src/dev/session.ts'
import { ENTRY, freePort, median, serverSource, tempDir, waitForBody, write } from './lib.ts'

/** Saves `file` with a new version and times until `port` serves it. */
async function timeEdit(file: string, port: number, version: string): Promise<number> {
  const started = performance.now()
  write(file, serverSource(version))
  await waitForBody(port, version)
  return performance.now() - started
}

/**
 * `bun --watch server.ts` alone and `dev` running the same code run side by side, each on its own
 * file and port, and the saves alternate between them: drift in the machine's load hits both alike.
 */
export async function benchReload(edits = 100): Promise<{ bunWatch: number, dev: number }> {
  const dir = tempDir('bun-pm-bench-reload-')
  try {
    const aloneFile = join(dir.path, 'alone.ts')
    const devFile = join(dir.path, 'server.ts')
    const [alonePort, devPort] = [freePort(), freePort()]
    write(aloneFile, serverSource('v0'))
    write(devFile, serverSource('v0'))
    write(join(dir.path, 'pm.config.ts'), `export default { workers: [{ name: 'server', bun: 'server.ts', options: { env: { PORT: '${devPort}' } } }] }\n`)
    const alone = Bun.spawn([process.execPath, '--watch', '--no-clear-screen', aloneFile], { env: { ...process.env, PORT: String(alonePort) }, stdout: 'ignore', stderr: 'ignore' })
    const dev = Bun.spawn([process.execPath, '--no-env-file', ENTRY, 'dev'], { cwd: dir.path, env: { ...process.env, NO_COLOR: '1' }, stdout: 'ignore', stderr: 'ignore' })
    await Promise.all([waitForBody(alonePort, 'v0'), waitForBody(devPort, 'v0')])
    const times = { bunWatch: [] as number[], dev: [] as number[] }
    for (let i = 1; i <= edits; i++) {
      await Bun.sleep(200)
      times.bunWatch.push(await timeEdit(aloneFile, alonePort, `v${i}`))
      await Bun.sleep(200)
      times.dev.push(await timeEdit(devFile, devPort, `v${i}`))
    }
    alone.kill('SIGKILL')
    dev.kill('SIGINT')
    await Promise.all([alone.exited, dev.exited])
    return { bunWatch: median(times.bunWatch), dev: median(times.dev) }
  }
  finally {
    dir.remove()
  }
}

/** `dev` of `workers` one-line servers: time until all answer, then Ctrl-C until the last process is gone. */
export async function benchDevUpAndDown(workers: number, runs: number): Promise<{ up: number, down: number }> {
  const ups: number[] = []
  const downs: number[] = []
  for (let run = 0; run < runs; run++) {
    const dir = tempDir('bun-pm-bench-dev-')
    try {
      const ports = Array.from({ length: workers }, () => freePort())
      write(join(dir.path, 'server.ts'), serverSource('up'))
      write(join(dir.path, 'pm.config.ts'), `export default { workers: [${ports.map((port, i) => `{ name: 's${i}', bun: 'server.ts', options: { env: { PORT: '${port}' } } }`).join(', ')}] }\n`)
      const started = performance.now()
      const dev = Bun.spawn([process.execPath, '--no-env-file', ENTRY, 'dev'], { cwd: dir.path, env: { ...process.env, NO_COLOR: '1' }, stdout: 'ignore', stderr: 'ignore' })
      await Promise.all(ports.map(port => waitForBody(port, 'up')))
      ups.push(performance.now() - started)
      const home = devHome(dir.path)
      const pids = sessionPids(home)
      const stopping = performance.now()
      dev.kill('SIGINT')
      await dev.exited
      // A zombie is a process that has ended: the machine's init reaps it when it gets round to it.
      while (pids.some(isAlive))
        await Bun.sleep(2)
      downs.push(performance.now() - stopping)
    }
    finally {
      dir.remove()
    }
  }
  return { up: median(ups), down: median(downs) }
}
