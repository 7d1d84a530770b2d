// Which way bun-pm reads the process table and socket owners: /proc on Linux, `ps` and `lsof`
// (the portable backend) on macOS, and on Linux too when BUN_PM_OS=portable says so (how CI runs
// the e2e tests the way a Mac would).

/** `proc`: /proc, netlink and a subreaper (Linux). `portable`: POSIX `ps`, process groups, `kill`, `lsof`. */
export type OsBackend = 'proc' | 'portable'

/** The environment variable that forces a backend: a testing and debugging knob, not a setting. */
export const OS_BACKEND_KEY = 'BUN_PM_OS'

/**
 * The backend for `platform`, with `forced` (BUN_PM_OS) if set; where there is none (Windows, an
 * unknown value), the rest of a one-line refusal that starts with the command's name. Pure.
 */
export function chooseBackend(platform: string, forced: string | undefined): { backend: OsBackend } | { refused: string } {
  if (forced !== undefined && forced !== '' && forced !== 'proc' && forced !== 'portable')
    return { refused: `was given ${OS_BACKEND_KEY}=${forced}: set it to \`portable\` (ps and lsof) or \`proc\` (Linux's /proc), or unset it` }
  if (platform === 'linux')
    return { backend: forced === 'portable' ? 'portable' : 'proc' }
  if (platform === 'darwin') {
    if (forced === 'proc')
      return { refused: `was given ${OS_BACKEND_KEY}=proc, but macOS has no /proc: unset it (bun-pm uses ps and lsof there)` }
    return { backend: 'portable' }
  }
  return { refused: `needs Linux or macOS (bun-pm finds, times and stops processes through /proc or ps); this is ${platform}: run it in WSL or a Linux container (\`explain\` works anywhere)` }
}

let chosen: OsBackend | undefined

/** The backend of this process, chosen once; where none fits (refused by the platform check), /proc's. */
export function osBackend(): OsBackend {
  if (chosen === undefined) {
    const choice = chooseBackend(process.platform, process.env[OS_BACKEND_KEY])
    chosen = 'backend' in choice ? choice.backend : 'proc'
  }
  return chosen
}
