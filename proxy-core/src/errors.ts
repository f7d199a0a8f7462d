/**
 * An error meant for the person at the keyboard: one line that says what happened and what to
 * do. Anything else that escapes is a bug and gets its stack printed.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code: string = 'EUSER',
    readonly status = 400,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof Error && err.name === 'UserError';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
