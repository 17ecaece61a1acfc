/** The query playground's one read: a query and its result, cached by the exact input. */
import { queryOptions } from '@tanstack/react-query';
import type { QueryInput } from '../../../../shared/schema';
import { api } from '../../lib/api';

export const queryQueries = {
  all: ['query'] as const,
  run: (input: QueryInput) =>
    queryOptions({
      queryKey: [...queryQueries.all, 'run', input] as const,
      queryFn: () => api.query(input),
      retry: false,
      staleTime: 0,
    }),
};
