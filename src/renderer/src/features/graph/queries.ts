/** The entity graph (one neighbourhood at a time, or whole on request), entity names as typed, and an entity's facts. */
import { queryOptions } from '@tanstack/react-query';
import { api } from '../../lib/api';

/** Entities in the first picture and in each expanded neighbourhood: the read and the drawing stay small. */
export const AROUND_CAP = 150;

export const graphQueries = {
  all: ['graph'] as const,
  /** The whole graph (its `limit` most connected entities): only when asked for. */
  data: (limit: number) =>
    queryOptions({ queryKey: [...graphQueries.all, 'data', limit] as const, queryFn: () => api.graph({ limit }) }),
  /** One entity's neighbourhood, two hops, bounded ('' for the most connected entity's). */
  around: (entityId: string) =>
    queryOptions({
      queryKey: [...graphQueries.all, 'around', entityId] as const,
      queryFn: () => api.graph({ around: entityId, limit: AROUND_CAP }),
      staleTime: 5_000,
    }),
  /** Entities whose name starts with `text` (the palette's cheap suggest: no graph read). */
  names: (text: string) =>
    queryOptions({
      queryKey: [...graphQueries.all, 'names', text] as const,
      queryFn: async () => (await api.suggest({ text, limit: 20 })).entities,
      staleTime: 30_000,
    }),
  facts: (entityId: string) =>
    queryOptions({
      queryKey: [...graphQueries.all, 'facts', entityId] as const,
      queryFn: () => api.entityFacts(entityId),
    }),
};
