/**
 * The answers `public/early.js` asked for before the bundle ran: each taken once, by the call with exactly the same
 * method and arguments (later calls, and any other call, go to the engine as usual).
 */
import type { ApiResult } from '../../../shared/api';

type Early = Record<string, Promise<ApiResult<unknown>> | undefined>;

/** The early answer to this call, if one was started and not taken yet. */
export function takeEarly(method: string, args: unknown[]): Promise<ApiResult<unknown>> | undefined {
  const w = window as unknown as { __strataEarly?: Early; __strataEarlyTaken?: string[] };
  const early = w.__strataEarly;
  if (!early) return undefined;
  const key = `${method} ${JSON.stringify(args)}`;
  const answer = early[key];
  if (!answer) return undefined;
  delete early[key];
  // Which were taken (tests see that the first page was read once, early).
  w.__strataEarlyTaken ??= [];
  w.__strataEarlyTaken.push(key);
  return answer;
}
