/**
 * The renderer's one way to the engine: `window.strata` in Electron (the preload), otherwise the HTTP bridge of
 * browser mode. Both answer ApiResults, unwrapped by the same code (`shared/envelope.ts`): a failure is an ApiError
 * with the engine's code, message and details, whichever way it came.
 */
import type {
  ApiResult,
  ParamsOf,
  ResultOfMethod,
  StrataApi,
  StrataBridge,
  StrataClient,
  StrataMethod,
} from '../../../shared/api';
import type { StrataEvent } from '../../../shared/app-types';
import { ApiError, apiOver, toApiError, unwrap } from '../../../shared/envelope';
import { takeEarly } from './early';

export { ApiError, toApiError };

const TOKEN_KEY = 'strata.token';

/**
 * The bridge token: read once from the address's fragment (`#token=…`, which browsers never send to a server or
 * put in a Referer), kept in this tab's sessionStorage, and dropped from the address bar.
 */
function bridgeToken(): string {
  const url = new URL(window.location.href);
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  const fromUrl = fragment.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    fragment.delete('token');
    const rest = fragment.toString();
    window.history.replaceState(null, '', url.pathname + url.search + (rest ? `#${rest}` : ''));
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** Reads a server-sent event stream from a fetch body (EventSource cannot send the token header). */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (e: StrataEvent) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let end = buf.indexOf('\n\n');
    while (end >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (data) onEvent(JSON.parse(data) as StrataEvent);
      end = buf.indexOf('\n\n');
    }
  }
}

function httpClient(): StrataClient {
  const token = bridgeToken();
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` };
  const api = apiOver(async (method, args) => {
    const early = takeEarly(method, args);
    if (early) return early;
    let res: Response;
    try {
      res = await fetch(`/api/${method}`, { method: 'POST', headers, body: JSON.stringify(args) });
    } catch (err) {
      throw new ApiError('BRIDGE_UNREACHABLE', `the Strata bridge did not answer: ${(err as Error).message}`);
    }
    try {
      return (await res.json()) as ApiResult<unknown>;
    } catch {
      throw new ApiError('INTERNAL', `the bridge answered ${res.status} without JSON`);
    }
  });
  const listeners = new Set<(e: StrataEvent) => void>();
  let stream: AbortController | null = null;
  const connect = (): void => {
    const ctl = new AbortController();
    stream = ctl;
    const emit = (e: StrataEvent) => {
      for (const l of listeners) l(e);
    };
    void fetch('/api/events', { headers: { Authorization: `Bearer ${token}` }, signal: ctl.signal })
      .then((res) => (res.ok && res.body ? readEvents(res.body, emit) : undefined))
      .catch(() => undefined)
      .finally(() => {
        // The bridge went away or restarted: try again while anyone listens, as EventSource would.
        if (stream === ctl && !ctl.signal.aborted) setTimeout(() => stream === ctl && connect(), 3_000);
      });
  };
  const subscribe = (listener: (e: StrataEvent) => void) => {
    listeners.add(listener);
    if (!stream) connect();
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && stream) {
        stream.abort();
        stream = null;
      }
    };
  };
  return { ...api, subscribe };
}

function ipcClient(strata: StrataBridge): StrataClient {
  const call = strata as unknown as Record<string, (...a: unknown[]) => Promise<ApiResult<unknown>>>;
  const api = apiOver(
    (method, args) =>
      takeEarly(method, args) ?? (call[method] as (...a: unknown[]) => Promise<ApiResult<unknown>>)(...args),
  );
  return { ...api, subscribe: strata.subscribe };
}

/** The bridge token for a download (browser mode's `GET /api/download`, which a plain link could not authorise). */
export const downloadToken = (): string => sessionStorage.getItem(TOKEN_KEY) ?? '';

export const api: StrataClient = window.strata ? ipcClient(window.strata) : httpClient();
export const transport: 'ipc' | 'http' = window.strata ? 'ipc' : 'http';
export type { StrataApi };

/**
 * A call that a newer one makes pointless (search as you type): in browser mode its request is aborted with
 * `signal`, so a stale answer never arrives; over IPC it runs and is ignored (the engine itself skips a suggest a
 * newer one overtook while it waited).
 */
export async function callAbortable<M extends StrataMethod>(
  method: M,
  args: ParamsOf<M>,
  signal?: AbortSignal,
): Promise<ResultOfMethod<M>> {
  if (transport === 'ipc') return (api[method] as (...a: unknown[]) => Promise<ResultOfMethod<M>>)(...args);
  let res: Response;
  try {
    res = await fetch(`/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${downloadToken()}` },
      body: JSON.stringify(args),
      ...(signal && { signal }),
    });
  } catch (err) {
    if (signal?.aborted) throw new ApiError('CANCELLED', 'a newer request replaced this one');
    throw new ApiError('BRIDGE_UNREACHABLE', `the Strata bridge did not answer: ${(err as Error).message}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiError('INTERNAL', `the bridge answered ${res.status} without JSON`);
  }
  return unwrap(body) as ResultOfMethod<M>;
}
