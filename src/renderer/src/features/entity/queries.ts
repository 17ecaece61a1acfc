/**
 * The entity hub: an entity with its facts, relationships and episodes (one read), the search that picks another
 * entity to merge, and the merge / rename / undo writes.
 */
import { queryOptions } from '@tanstack/react-query';
import { api } from '../../lib/api';

export const entityQueries = {
  all: ['items', 'entity'] as const,
  hub: (entityId: string) =>
    queryOptions({
      queryKey: [...entityQueries.all, 'hub', entityId] as const,
      queryFn: () => api.entityHub(entityId),
      retry: false,
    }),
  search: (text: string) =>
    queryOptions({
      queryKey: [...entityQueries.all, 'search', text] as const,
      queryFn: () => api.list({ layer: 'm2', kind: 'entity', ...(text.trim() && { text: text.trim() }), limit: 20 }),
      staleTime: 2_000,
    }),
};
