/** The palette's one read: memories for what has been typed so far (small k, every layer, items). */
import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import { api } from '../../lib/api';

export const paletteQueries = {
  all: ['palette'] as const,
  search: (text: string) =>
    queryOptions({
      queryKey: [...paletteQueries.all, 'search', text] as const,
      queryFn: () => api.query({ text, k: 8 }),
      enabled: text.trim().length > 0,
      retry: false,
      staleTime: 0,
      // While the next keystroke's answer is on its way, the last one stays on screen (no flicker).
      placeholderData: keepPreviousData,
    }),
};
