/**
 * Error codes and the one error type that crosses every boundary
 * (worker → engine → IPC/HTTP → UI) as plain `{code, message, details?}`.
 */

export const ERROR_CODES = [
  'INVALID_INPUT',
  'UNKNOWN_SESSION',
  'NOT_FOUND',
  'DIMENSION_MISMATCH',
  'EMBEDDER_MISMATCH',
  'ENGINE_CLOSED',
  'ALREADY_CLOSED',
  'DIR_NOT_WRITABLE',
  'STORE_LOCKED',
  'STORE_CORRUPT',
  'SCHEMA_TOO_NEW',
  'STORE_WRITE_FAILED',
  'WORKER_FAILED',
  'UNAUTHORIZED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface WireError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class StrataError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'StrataError';
    this.code = code;
    this.details = details;
  }

  toWire(): WireError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromWire(wire: WireError, prefix?: string): StrataError {
    return new StrataError(wire.code, prefix ? `${prefix}: ${wire.message}` : wire.message, wire.details);
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Turns anything thrown into a wire error; unknown errors become INTERNAL with their message kept. */
export function toWireError(err: unknown): WireError {
  if (err instanceof StrataError) return err.toWire();
  if (err !== null && typeof err === 'object' && 'code' in err && 'message' in err && isErrorCode(err.code)) {
    return { code: err.code, message: String(err.message) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}
