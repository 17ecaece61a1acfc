/** Write traces: the recent list (kept live from engine events) and the profile action. */
import { queryOptions, useMutation } from '@tanstack/react-query';
import type { WriteTrace } from '../../../../shared/types';
import { api } from '../../lib/api';

export const KEPT_TRACES = 500;

export const traceQueries = {
  all: ['traces'] as const,
  recent: () =>
    queryOptions({
      queryKey: [...traceQueries.all, 'recent'] as const,
      queryFn: () => api.listTraces(KEPT_TRACES),
      staleTime: Number.POSITIVE_INFINITY,
    }),
};

/** A live trace joins the front of the list (once: the list read may already hold it). */
export function prependTrace(list: WriteTrace[] | undefined, trace: WriteTrace): WriteTrace[] {
  const rest = (list ?? []).filter((t) => t.id !== trace.id);
  return [trace, ...rest].slice(0, KEPT_TRACES);
}

export function useProfile() {
  return useMutation({ mutationFn: (rows: number) => api.profile({ rows }) });
}
