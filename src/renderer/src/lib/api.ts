/**
 * The renderer's one way to the engine: `window.strata` in Electron (the preload), otherwise the HTTP bridge of
 * browser mode, with the per-run token taken from the address `npm run serve` printed. Either way a failure is
 * an ApiError carrying the engine's code.
 */
import { type ApiResult, STRATA_METHODS, type StrataApi, type StrataClient } from '../../../shared/api';
import type { StrataEvent } from '../../../shared/app-types';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err !== null && typeof err === 'object' && 'code' in err && 'message' in err) {
    // Electron's invoke prefixes remote errors; the code survives as a property.
    return new ApiError(String(err.code), String(err.message).replace(/^Error invoking remote method '[^']+': /, ''));
  }
  return new ApiError('INTERNAL', err instanceof Error ? err.message : String(err));
}

const TOKEN_KEY = 'strata.token';

/** The bridge token: from `?token=` once (then dropped from the address bar), afterwards from this tab's storage. */
function bridgeToken(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function httpClient(): StrataClient {
  const token = bridgeToken();
  const call = async (method: string, args: unknown[]): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(args),
      });
    } catch (err) {
      throw new ApiError('BRIDGE_UNREACHABLE', `the Strata bridge did not answer: ${(err as Error).message}`);
    }
    let body: ApiResult<unknown>;
    try {
      body = (await res.json()) as ApiResult<unknown>;
    } catch {
      throw new ApiError('INTERNAL', `the bridge answered ${res.status} without JSON`);
    }
    if (body.ok) return body.value;
    throw new ApiError(body.error.code, body.error.message);
  };
  const listeners = new Set<(e: StrataEvent) => void>();
  let source: EventSource | null = null;
  const client: Record<string, unknown> = {};
  for (const m of STRATA_METHODS) {
    client[m] = (...args: unknown[]) => {
      // Trailing "left out" arguments are dropped; inner ones travel as null.
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
      return call(m, args);
    };
  }
  client.subscribe = (listener: (e: StrataEvent) => void) => {
    listeners.add(listener);
    if (!source) {
      source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
      source.onmessage = (msg) => {
        const e = JSON.parse(String(msg.data)) as StrataEvent;
        for (const l of listeners) l(e);
      };
    }
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && source) {
        source.close();
        source = null;
      }
    };
  };
  return client as unknown as StrataClient;
}

function ipcClient(strata: StrataClient): StrataClient {
  const client: Record<string, unknown> = { subscribe: strata.subscribe };
  for (const m of STRATA_METHODS) {
    const fn = strata[m] as (...a: unknown[]) => Promise<unknown>;
    client[m] = (...args: unknown[]) => fn(...args).catch((err: unknown) => Promise.reject(toApiError(err)));
  }
  return client as unknown as StrataClient;
}

export const api: StrataClient = window.strata ? ipcClient(window.strata) : httpClient();
export const transport: 'ipc' | 'http' = window.strata ? 'ipc' : 'http';
export type { StrataApi };
