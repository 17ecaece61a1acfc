/** The entity graph and one entity's facts. */
import { queryOptions } from '@tanstack/react-query';
import { api } from '../../lib/api';

export const graphQueries = {
  all: ['graph'] as const,
  data: (limit: number) =>
    queryOptions({ queryKey: [...graphQueries.all, 'data', limit] as const, queryFn: () => api.graph({ limit }) }),
  facts: (entityId: string) =>
    queryOptions({
      queryKey: [...graphQueries.all, 'facts', entityId] as const,
      queryFn: () => api.entityFacts(entityId),
    }),
};
