// Where bun-pm runs: Linux (/proc) and macOS (ps, lsof); anything else is refused in one line.
import { WorkspaceError } from '../errors.ts'
import { chooseBackend, OS_BACKEND_KEY } from './backend.ts'

/** Platforms whose process table bun-pm can read: Linux through /proc, macOS through ps (see os/backend.ts). */
export function platformSupported(): boolean {
  return 'backend' in chooseBackend(process.platform, process.env[OS_BACKEND_KEY])
}

/**
 * Refuses, in one line and before anything is done, a command that would read processes where
 * bun-pm cannot (Windows) or was told a backend that does not fit: there pids, start times and
 * daemons cannot be told apart, and a wrong guess would stop a daemon bun-pm did not start.
 */
export function requireSupportedPlatform(command: string): void {
  const choice = chooseBackend(process.platform, process.env[OS_BACKEND_KEY])
  if ('refused' in choice)
    throw new WorkspaceError(`\`${command}\` ${choice.refused}`)
}
