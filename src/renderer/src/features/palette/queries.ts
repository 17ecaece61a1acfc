/**
 * The palette's two reads: `suggest` on every (briefly debounced) keystroke, a cheap bounded keyword prefix match
 * with entity names, whose stale requests are aborted; and `search`, the full hybrid query, once typing pauses.
 */
import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import { api, callAbortable } from '../../lib/api';

export const paletteQueries = {
  all: ['palette'] as const,
  suggest: (text: string) =>
    queryOptions({
      queryKey: [...paletteQueries.all, 'suggest', text] as const,
      queryFn: ({ signal }) => callAbortable('suggest', [{ text, limit: 8 }], signal),
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
