/**
 * The renderer's side of the error envelope: one unwrap for every transport (IPC through the preload, HTTP in
 * browser mode), so a failure arrives as the same `ApiError` with the engine's code, message and details.
 * No DOM or Node here: the preload's tests drive it without a browser.
 */
import { type ApiResult, STRATA_METHODS, type StrataApi, type StrataMethod } from './api';

export class ApiError extends Error {
  constructor(
    /** An engine error code, or a transport's own (`BRIDGE_UNREACHABLE`). */
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value of a successful call; a failure (or an answer that is not an ApiResult) thrown as an ApiError. */
export function unwrap<T>(result: ApiResult<T> | unknown): T {
  if (isRecord(result) && result.ok === true && 'value' in result) return result.value as T;
  if (isRecord(result) && result.ok === false && isRecord(result.error)) {
    const { code, message, details } = result.error;
    return throwApiError(String(code ?? 'INTERNAL'), String(message ?? ''), isRecord(details) ? details : undefined);
  }
  return throwApiError('INTERNAL', 'the answer was not an API result');
}

function throwApiError(code: string, message: string, details?: Record<string, unknown>): never {
  throw new ApiError(code, message, details);
}

/** Anything thrown, as an ApiError (a thrown value without a code is INTERNAL with its message kept). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (isRecord(err) && typeof err.code === 'string' && 'message' in err) {
    return new ApiError(err.code, String(err.message), isRecord(err.details) ? err.details : undefined);
  }
  return new ApiError('INTERNAL', err instanceof Error ? err.message : String(err));
}

/** Calls one method over a transport and answers its ApiResult (never throws for an engine error). */
export type Transport = (method: StrataMethod, args: unknown[]) => Promise<ApiResult<unknown>>;

/**
 * The StrataApi over a transport: every method of the table, each result unwrapped the same way. Trailing
 * left-out arguments are dropped; inner ones travel as null (JSON has no undefined).
 */
export function apiOver(transport: Transport): StrataApi {
  const api: Record<string, unknown> = {};
  for (const m of STRATA_METHODS) {
    api[m] = async (...args: unknown[]) => {
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
      let result: ApiResult<unknown>;
      try {
        result = await transport(
          m,
          args.map((a) => (a === undefined ? null : a)),
        );
      } catch (err) {
        throw toApiError(err);
      }
      return unwrap(result);
    };
  }
  return api as StrataApi;
}
