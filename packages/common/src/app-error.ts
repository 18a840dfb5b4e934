/**
 * The one error model: a stable machine-readable code (`ERR_…`), a message for humans and,
 * where there is one, a hint that says what to do. HTTP handlers map `status` to the response;
 * anything that is not an AppError is an internal fault and is never shown to clients.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(code: `ERR_${string}`, message: string, opts: { status?: number; hint?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = opts.status ?? 500;
    this.hint = opts.hint;
    this.details = opts.details;
  }

  /** The JSON body clients see. */
  toJSON(): { error: { code: string; message: string; hint?: string; details?: unknown } } {
    const error: { code: string; message: string; hint?: string; details?: unknown } = { code: this.code, message: this.message };
    if (this.hint !== undefined) error.hint = this.hint;
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

/** True for an AppError (also across duplicated module instances). */
export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AppError' && typeof (err as { code?: unknown }).code === 'string');
}
