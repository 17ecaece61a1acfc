/** The query playground's one read: a query and its result, cached by the exact input. */
import { queryOptions } from '@tanstack/react-query';
import type { QueryInput } from '../../../../shared/schema';
import { api } from '../../lib/api';

export const queryQueries = {
  all: ['query'] as const,
  /** `run` counts presses of Search: the same inputs asked again are asked again, never served stale. */
  run: (input: QueryInput, run = 0) =>
    queryOptions({
      queryKey: [...queryQueries.all, 'run', input, run] as const,
      queryFn: () => api.query(input),
      retry: false,
      staleTime: 0,
    }),
};
