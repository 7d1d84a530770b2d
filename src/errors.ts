// The user's mistakes (WorkspaceError: one line, exit 1), told apart from bugs (a stack).

/**
 * A mistake the user can fix: the message says what is wrong, where (file, worker, field) and how
 * to fix it. The CLI prints it as one line without a stack; anything else is a bug and keeps its
 * stack.
 */
export class WorkspaceError extends Error {
  override name = 'WorkspaceError'
}

/** True for errors that are the user's to fix, as opposed to bugs. */
export function isUserError(error: unknown): error is WorkspaceError {
  return error instanceof WorkspaceError
}
