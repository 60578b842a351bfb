// A user's mistake (bad flag, bad file, bad task) is reported as a short message with what was
// wrong, where, and how to fix it — never a stack trace. Code throws UserError for those; the CLI
// prints `error: <message>` and exits non-zero. Anything else is a bug and keeps its stack.

export class UserError extends Error {
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UserError';
    this.hint = hint;
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError';
}

/** The one-line-plus-hint text the CLI prints for a UserError. */
export function formatUserError(e: UserError): string {
  return e.hint ? `error: ${e.message}\n  fix: ${e.hint}` : `error: ${e.message}`;
}
