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
  /** A store file gone, unopenable or failing I/O while the engine runs (its reads are skipped, it is rebuilt). */
  'STORE_UNAVAILABLE',
  'SCHEMA_TOO_NEW',
  'STORE_WRITE_FAILED',
  'WORKER_FAILED',
  'UNAUTHORIZED',
  'SETTINGS_INVALID',
  'LLM_UNREACHABLE',
  'LLM_BAD_RESPONSE',
  'REEMBEDDING',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface WireError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
  /** Only across worker threads in development: where a worker's error was thrown. Never sent to the UI. */
  stack?: string;
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

  /**
   * Rebuilds a wire error; `call` names the call it came back from (`core.append`) and starts the message, except
   * for an error naming a caller's field, whose message starts with that field (the call goes in `details.call`).
   * A worker's stack is kept.
   */
  static fromWire(wire: WireError, call?: string): StrataError {
    const namesField = typeof wire.details?.field === 'string';
    const message = call && !namesField ? `${call}: ${wire.message}` : wire.message;
    const details = call && namesField ? { ...wire.details, call } : wire.details;
    const err = new StrataError(wire.code, message, details);
    if (wire.stack) err.stack = `${err.name}: ${err.message}\n    -- thrown in the worker --\n${wire.stack}`;
    return err;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

function plainDetails(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Turns anything thrown into a wire error; unknown errors become INTERNAL with their message kept. `stack: true`
 * (worker threads in development) keeps where it was thrown.
 */
export function toWireError(err: unknown, opts: { stack?: boolean } = {}): WireError {
  let wire: WireError;
  if (err instanceof StrataError) wire = err.toWire();
  else if (err !== null && typeof err === 'object' && 'code' in err && 'message' in err && isErrorCode(err.code)) {
    const details = 'details' in err ? plainDetails(err.details) : undefined;
    wire = { code: err.code, message: String(err.message), ...(details && { details }) };
  } else wire = { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
  if (opts.stack && err instanceof Error && err.stack) wire.stack = err.stack;
  return wire;
}
