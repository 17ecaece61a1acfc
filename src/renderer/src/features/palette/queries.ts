/**
 * The palette's two reads: `suggest` on every (briefly debounced) keystroke, a cheap bounded keyword prefix match
 * with entity names, whose stale requests are aborted; and `search`, the full hybrid query, once typing pauses.
 * In browser mode the first suggest goes through the bridge and names the suggest reader's own endpoint
 * (`SuggestResult.direct`); later keystrokes go there, so they wait neither for the server's main thread nor for
 * its hops to the reader. If the endpoint stops answering (the engine was reopened), the bridge answers again and
 * names the new one.
 */
import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import type { SuggestResult } from '../../../../shared/api-suggest';
import { ApiError, unwrap } from '../../../../shared/envelope';
import { api, callAbortable, transport } from '../../lib/api';

let direct: { url: string; key: string } | null = null;

async function suggest(text: string, signal: AbortSignal): Promise<SuggestResult> {
  const input = { text, limit: 8 };
  const endpoint = direct;
  if (endpoint) {
    try {
      // text/plain: a CORS "simple" request, so no preflight round trip precedes each keystroke.
      const res = await fetch(endpoint.url, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ key: endpoint.key, input }),
        signal,
      });
      const body = (await res.json()) as { ok: boolean; error?: { code: string } };
      // Bad input is answered as the bridge would; a refused key (another engine's) goes back to the bridge.
      if (body.ok || body.error?.code === 'INVALID_INPUT') return unwrap(body) as SuggestResult;
    } catch (err) {
      if (signal.aborted) throw new ApiError('CANCELLED', 'a newer request replaced this one');
      if (err instanceof ApiError) throw err;
    }
    if (direct === endpoint) direct = null;
  }
  const r = await callAbortable('suggest', [transport === 'http' ? { ...input, direct: true } : input], signal);
  if (r.direct) direct = r.direct;
  return r;
}

let learning: Promise<unknown> | null = null;

/**
 * Called when the palette opens: in browser mode, learns the suggest reader's endpoint with an empty suggest (it
 * reads nothing), so even the first keystroke can go there. Keystrokes' own bridge calls are aborted by the next
 * key, so their answers (which name it too) are seldom read while typing fast.
 */
export function learnSuggestEndpoint(): void {
  if (transport !== 'http' || direct || learning) return;
  learning = callAbortable('suggest', [{ text: '', direct: true }])
    .then((r) => {
      if (r.direct) direct ??= r.direct;
    })
    .catch(() => undefined)
    .finally(() => {
      learning = null;
    });
}

export const paletteQueries = {
  all: ['palette'] as const,
  suggest: (text: string) =>
    queryOptions({
      queryKey: [...paletteQueries.all, 'suggest', text] as const,
      queryFn: ({ signal }) => suggest(text, signal),
      enabled: text.trim().length > 0,
      retry: false,
      staleTime: 30_000,
      // While the next keystroke's answer is on its way, the last one stays on screen (no flicker).
      placeholderData: keepPreviousData,
    }),
  search: (text: string) =>
    queryOptions({
      queryKey: [...paletteQueries.all, 'search', text] as const,
      queryFn: () => api.query({ text, k: 8 }),
      enabled: text.trim().length > 0,
      retry: false,
      staleTime: 0,
    }),
};
