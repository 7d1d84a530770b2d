import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const REPO = resolve(import.meta.dir, '..')
export const ENTRY = join(REPO, 'src/commands/exec-process.ts')

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export { freePort } from '../test/helpers/net.ts'

export const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`

/** Polls until `port` answers with a body starting with `prefix`; resolves with the time it took. */
export async function waitForBody(port: number, prefix: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text()
      if (body.startsWith(prefix))
        return
    }
    catch {}
    if (Date.now() > deadline)
      throw new Error(`port ${port} did not answer "${prefix}" within ${timeoutMs} ms`)
    await Bun.sleep(1)
  }
}

export function tempDir(prefix: string): { path: string, remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

export function write(path: string, text: string): void {
  writeFileSync(path, text)
}

/** A one-line Bun HTTP server answering VERSION. */
export const serverSource = (version: string) =>
  `Bun.serve({ port: Number(process.env.PORT), fetch: () => new Response('${version}') })\n`
