// The programs a worker can run under, and which script field each one picks. Pure.
import type { Interpreter } from '../types/config.ts'

export const INTERPRETERS = ['bun', 'node', 'tsx'] as const satisfies readonly Interpreter[]

/** True for the names `options.interpreter` accepts. */
export function isInterpreter(value: unknown): value is Interpreter {
  return typeof value === 'string' && (INTERPRETERS as readonly string[]).includes(value)
}
