// Loaded before every test file (bunfig.toml): whatever bun-pm writes to the user's cache (dev
// sessions, error reports) goes to a folder of this test run's own, removed when it ends — never
// to the real ~/.cache/bun-pm. Children inherit it through the environment.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const cache = mkdtempSync(join(tmpdir(), 'bun-pm-test-cache-'))
process.env.XDG_CACHE_HOME = cache
// A runtime folder of the user's own would take dev sessions there instead.
delete process.env.XDG_RUNTIME_DIR
process.on('exit', () => rmSync(cache, { recursive: true, force: true }))
