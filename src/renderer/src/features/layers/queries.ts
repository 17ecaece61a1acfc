/** Query keys and reads of the Layers feature: item pages, one item's provenance, counts, sessions. */
import { queryOptions } from '@tanstack/react-query';
import type { Layer } from '../../../../shared/types';
import { api } from '../../lib/api';

export const PAGE_SIZE = 200;

export interface ItemFilters {
  layer: Layer;
  text: string;
  sessionId: string;
  kind: string;
}

export const itemQueries = {
  all: ['items'] as const,
  page: (f: ItemFilters, page: number) =>
    queryOptions({
      queryKey: [...itemQueries.all, 'page', f, page] as const,
      queryFn: () =>
        api.list({
          layer: f.layer,
          ...(f.text.trim() && { text: f.text.trim() }),
          ...(f.sessionId && { sessionId: f.sessionId }),
          ...(f.kind && { kind: f.kind }),
          limit: PAGE_SIZE,
          offset: page * PAGE_SIZE,
        }),
      staleTime: 2_000,
    }),
  detail: (id: string) =>
    queryOptions({ queryKey: [...itemQueries.all, 'detail', id] as const, queryFn: () => api.get(id), retry: false }),
};

export const decisionQueries = {
  all: ['decisions'] as const,
  session: (sessionId: string) =>
    queryOptions({
      queryKey: [...decisionQueries.all, 'session', sessionId] as const,
      queryFn: () => api.decisions(sessionId),
    }),
};

export const statsQueries = {
  all: ['stats'] as const,
  summary: () => queryOptions({ queryKey: [...statsQueries.all, 'summary'] as const, queryFn: () => api.stats() }),
};

/** Items per layer and kind alone (an index count, milliseconds at 100,000 items): tab counts and the first-run check. */
export const countQueries = {
  all: ['counts'] as const,
  layers: () => queryOptions({ queryKey: [...countQueries.all, 'layers'] as const, queryFn: () => api.counts() }),
};

export const sessionQueries = {
  all: ['sessions'] as const,
  list: () => queryOptions({ queryKey: [...sessionQueries.all, 'list'] as const, queryFn: () => api.listSessions() }),
};

/** Items per layer from the stats' per-kind counts. */
export function layerCounts(rows: { layer: string; kind: string; n: number }[] | undefined): Record<Layer, number> {
  const out: Record<Layer, number> = { m0: 0, m1: 0, m2: 0 };
  for (const r of rows ?? []) if (r.layer in out) out[r.layer as Layer] += r.n;
  return out;
}

/** Reads and writes of the edits (correct, forget, history); every write marks every cached read it can change stale. */
export const editQueries = {
  all: ['edits'] as const,
  history: (factId: string) =>
    queryOptions({
      queryKey: [...editQueries.all, 'history', factId] as const,
      queryFn: () => api.history({ factId }),
      retry: false,
    }),
  audit: () =>
    queryOptions({ queryKey: [...editQueries.all, 'audit'] as const, queryFn: () => api.auditLog({ limit: 200 }) }),
};

/** The query families an edit can change: items, counts, sessions, decisions, the graph, the edits themselves. */
export const EDITED = [
  itemQueries.all,
  statsQueries.all,
  countQueries.all,
  sessionQueries.all,
  decisionQueries.all,
  ['graph'],
  editQueries.all,
] as const;
