/**
 * Hybrid retrieval: the vector, keyword and graph sources run at once, each on
 * its own read connection; their ranked lists are fused by reciprocal rank
 * (weighted per source and per layer); dates in the query filter or lift items by
 * valid time; results that share provenance are folded together so k slots hold
 * k different memories; and every result keeps each source's rank and raw score.
 * Nothing is cached between queries: every query reads the stores' last commit.
 */
import { StrataError } from '../../../shared/errors';
import { parseInput, type QueryInput, queryInputSchema, toEpochMs } from '../../../shared/schema';
import type {
  Layer,
  QueryHit,
  QueryResult,
  QuerySource,
  QuerySpan,
  SkippedSource,
  SourceScore,
} from '../../../shared/types';
import type { Embedder } from '../embed/embedder';
import { idKind } from '../ids';
import type { StorageManager } from '../storage/manager';
import type { SearchMethods } from '../workers/protocol';
import { nowMs } from '../workers/protocol';
import { buildFtsQuery } from './fts-query';
import { type FusedHit, fuseRrf, type RankedHit } from './rrf';
import { parseQueryTime, type QueryTime } from './time';

type Hydrated = SearchMethods['hydrate']['result']['items'][number];

const ALL_LAYERS: readonly Layer[] = ['m0', 'm1', 'm2'];
/**
 * Entities and relationships are the graph's structure more than memories in their own right: a bare name or "A
 * mentioned with B" matches many queries by its shortness alone, so their contributions count for less. (An id names
 * its kind: ids.ts.)
 */
export const KIND_WEIGHT: Readonly<Record<string, number>> = { entity: 0.3, relationship: 0.3 };
/**
 * When ranking source messages, chunks (the messages' own words) lead; a fact or an episode restates them and mostly
 * repeats what a chunk already found, so each counts for less. Entities and relationships lead to no message. These,
 * the RRF constant of 10 and the neighbour share were chosen on the LoCoMo questions (bench:locomo), where fusing
 * every item equally ranked messages worse than chunks alone did.
 */
export const MESSAGE_KIND_WEIGHT: Readonly<Record<string, number>> = {
  fact: 0.3,
  episode: 0.4,
  entity: 0,
  relationship: 0,
};
export const MESSAGE_RRF_K = 10;
/** An item's score is shared among its n messages as score / n^0.75: an episode's eight get less each than a chunk's one. */
const SHARE_EXPONENT = 0.75;

/** In messages mode, a message also gains this share of its better neighbour's score (answers follow questions). */
export const NEIGHBOUR_SHARE = 0.5;

export interface QueryDeps {
  storage: StorageManager;
  embedder: Embedder;
}

interface Options {
  text: string;
  k: number;
  depth: number;
  layers: Layer[];
  sessionIds?: string[];
  from: number | null;
  to: number | null;
  time: QueryTime | null;
  timeMode: 'filter' | 'boost';
  weights: Record<QuerySource | Layer, number>;
  returns: 'items' | 'messages';
  group: boolean;
  rrfK: number;
}

function options(raw: unknown): Options {
  const input: QueryInput = parseInput(queryInputSchema, raw, 'query');
  const w = input.weights ?? {};
  const weights = {
    vector: w.vector ?? 1,
    keyword: w.keyword ?? 1,
    graph: w.graph ?? 1,
    time: w.time ?? 1,
    m0: w.m0 ?? 1,
    m1: w.m1 ?? 1,
    m2: w.m2 ?? 1,
  };
  const from = input.from === undefined ? null : toEpochMs(input.from, 0);
  const to = input.to === undefined ? null : toEpochMs(input.to, 0);
  if (from !== null && to !== null && from > to) {
    throw new StrataError('INVALID_INPUT', 'query.from: must not be after query.to', { field: 'query.from' });
  }
  const k = input.k ?? 10;
  const timeMode = input.timeMode ?? 'boost';
  return {
    text: input.text,
    k,
    // Each source offers several times k candidates, so fusion and grouping have room to work.
    depth: Math.min(Math.max(k * 4, 50), 400),
    layers: [...new Set(input.layers ?? ALL_LAYERS)].filter((l) => weights[l] > 0),
    ...(input.sessionIds && { sessionIds: [...new Set(input.sessionIds)] }),
    from,
    to,
    time: timeMode === 'off' ? null : parseQueryTime(input.text, toEpochMs(input.now, Date.now())),
    timeMode: timeMode === 'off' ? 'boost' : timeMode,
    weights,
    returns: input.returns ?? 'items',
    group: input.group ?? true,
    rrfK: input.rrfK ?? (input.returns === 'messages' ? MESSAGE_RRF_K : 60),
  };
}

/** When an item happened or was said: a point for chunks and facts, a span for episodes. */
function itemTime(h: Hydrated): [number, number] | null {
  if (h.validFrom === null) return null;
  return [h.validFrom, h.kind === 'episode' && h.validTo !== null ? h.validTo : h.validFrom];
}

const overlaps = (t: [number, number] | null, from: number, to: number): boolean =>
  t !== null && t[0] < to && t[1] >= from;

export async function runQuery(deps: QueryDeps, raw: unknown): Promise<QueryResult> {
  const started = nowMs();
  const o = options(raw);
  const spans: QuerySpan[] = [];
  const skipped: SkippedSource[] = [];
  const span = (source: QuerySpan['source'], t0: number, rows: number, layer?: Layer) =>
    spans.push({ source, start: t0 - started, durationMs: nowMs() - t0, rows, ...(layer && { layer }) });
  const done = (hits: QueryHit[], entities: string[]): QueryResult => ({
    hits,
    time: o.time ? { ...o.time, mode: o.timeMode } : null,
    entities,
    trace: { totalMs: nowMs() - started, spans },
    skipped,
  });
  if (o.layers.length === 0 || o.text.trim().length === 0) return done([], []);

  const { storage, embedder } = deps;
  const layerOf = new Map<string, Layer>();
  const scope = { layers: o.layers, limit: o.depth, ...(o.sessionIds && { sessionIds: o.sessionIds }) };
  const vectorList = async (): Promise<RankedHit[]> => {
    if (o.weights.vector <= 0) return [];
    const t0 = nowMs();
    const vector = await embedder.embed([o.text]);
    span('embed', t0, 1);
    const t1 = nowMs();
    const { result } = await storage.search('vectorSearch', {
      ...scope,
      vector,
    });
    span('vector', t1, result.hits.length);
    for (const h of result.hits) layerOf.set(h.id, h.layer);
    return result.hits.map((h) => ({ id: h.id, raw: h.distance }));
  };
  const keywordList = async (): Promise<RankedHit[]> => {
    const match = o.weights.keyword > 0 ? buildFtsQuery(o.text) : null;
    if (!match) return [];
    const t0 = nowMs();
    const { result } = await storage.search('keywordSearch', { ...scope, match });
    span('keyword', t0, result.hits.length);
    for (const h of result.hits) layerOf.set(h.id, h.layer);
    return result.hits.map((h) => ({ id: h.id, raw: h.bm25 }));
  };
  const graphList = async (): Promise<{ hits: RankedHit[]; entities: string[] }> => {
    if (o.weights.graph <= 0) return { hits: [], entities: [] };
    const t0 = nowMs();
    const { result } = await storage.search('graphSearch', { ...scope, text: o.text });
    span('graph', t0, result.hits.length);
    for (const h of result.hits) layerOf.set(h.id, h.layer);
    return { hits: result.hits.map((h) => ({ id: h.id, raw: h.hops })), entities: result.entities };
  };
  // A source whose store cannot be read is left out (the result names it and why); the others still answer.
  const orSkip = async <T>(source: SkippedSource['source'], run: () => Promise<T>, none: T): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      const skip = storage.skippedSource(source, err);
      if (!skip) throw err;
      skipped.push(skip);
      return none;
    }
  };
  const [vector, keyword, graph] = await Promise.all([
    orSkip('vector', vectorList, []),
    orSkip('keyword', keywordList, []),
    orSkip('graph', graphList, { hits: [], entities: [] }),
  ]);
  const lists: Partial<Record<QuerySource, RankedHit[]>> = { vector, keyword, graph: graph.hits };

  const info = new Map<string, Hydrated>();
  const hydrate = async (ids: string[]) => {
    const missing = ids.filter((id) => !info.has(id));
    if (missing.length === 0) return;
    const t0 = nowMs();
    const { result } = await storage.search('hydrate', { ids: missing });
    for (const h of result.items) info.set(h.id, h);
    span('provenance', t0, result.items.length);
  };

  /** A hydrated candidate whose time overlaps [from, to). */
  const inTime = (id: string, from: number, to: number): boolean => {
    const i = info.get(id);
    return i !== undefined && overlaps(itemTime(i), from, to);
  };

  // Filters by valid time (the caller's window, and the query's own dates in filter mode) need every candidate's time.
  const timeFilter = o.time && o.timeMode === 'filter' ? o.time : null;
  if (o.from !== null || o.to !== null || o.time) {
    await hydrate([...new Set([...vector, ...keyword, ...graph.hits].map((h) => h.id))]);
    const from = Math.max(o.from ?? Number.NEGATIVE_INFINITY, timeFilter?.from ?? Number.NEGATIVE_INFINITY);
    const to = Math.min(
      o.to === null ? Number.POSITIVE_INFINITY : o.to + 1,
      timeFilter?.to ?? Number.POSITIVE_INFINITY,
    );
    if (Number.isFinite(from) || Number.isFinite(to)) {
      const keep = (h: RankedHit) => inTime(h.id, from, to);
      for (const s of ['vector', 'keyword', 'graph'] as const) lists[s] = (lists[s] ?? []).filter(keep);
    }
  }

  const t0 = nowMs();
  const kinds = o.returns === 'messages' ? MESSAGE_KIND_WEIGHT : KIND_WEIGHT;
  const weightOf = (id: string) => o.weights[layerOf.get(id) ?? 'm0'] * (kinds[idKind(id)] ?? 1);
  const sourceWeights = { vector: o.weights.vector, keyword: o.weights.keyword, graph: o.weights.graph };
  let fused = fuseRrf(lists as Record<string, RankedHit[]>, sourceWeights, o.rrfK, weightOf);

  // Boost mode: candidates whose time falls in the query's dates form one more ranked list, in fused order.
  if (o.time && o.timeMode === 'boost' && o.weights.time > 0) {
    const { from, to } = o.time;
    const inRange = fused.filter((f) => inTime(f.id, from, to));
    if (inRange.length > 0) {
      lists.time = inRange.map((f) => ({ id: f.id, raw: 0 }));
      fused = fuseRrf(
        lists as Record<string, RankedHit[]>,
        { ...sourceWeights, time: o.weights.time },
        o.rrfK,
        weightOf,
      );
    }
  }
  span('fuse', t0, fused.length);

  const hits =
    o.returns === 'messages'
      ? await messageHits(deps, o, fused, hydrate, info)
      : await itemHits(o, fused, hydrate, info);
  return done(hits, graph.entities);
}

function toSources(f: FusedHit): Partial<Record<QuerySource, SourceScore>> {
  return f.sources as Partial<Record<QuerySource, SourceScore>>;
}

/** The top k items; with grouping, an item that is another kept item's ancestor or descendant is folded into it. */
async function itemHits(
  o: Options,
  fused: FusedHit[],
  hydrate: (ids: string[]) => Promise<void>,
  info: Map<string, Hydrated>,
): Promise<QueryHit[]> {
  const kept: QueryHit[] = [];
  const keptAncestors: Set<string>[] = [];
  let at = 0;
  while (kept.length < o.k && at < fused.length) {
    // Hydrate in slices: grouping may consume candidates, so fetch more only when needed.
    const slice = fused.slice(at, at + Math.max(o.k * 2, 20));
    at += slice.length;
    await hydrate(slice.map((f) => f.id));
    for (const f of slice) {
      if (kept.length >= o.k) break;
      const h = info.get(f.id);
      if (!h) continue; // deleted since the source listed it
      const ancestors = new Set(h.ancestors);
      const home = o.group ? kept.findIndex((k, i) => ancestors.has(k.id) || keptAncestors[i]?.has(h.id)) : -1;
      if (home >= 0) {
        (kept[home] as QueryHit).grouped.push({ id: h.id, layer: h.layer, kind: h.kind, score: f.score });
        continue;
      }
      kept.push({
        id: h.id,
        layer: h.layer,
        kind: h.kind,
        sessionId: h.sessionId,
        text: h.text,
        rank: kept.length + 1,
        score: f.score,
        sources: toSources(f),
        validFrom: h.validFrom,
        validTo: h.validTo,
        messageIds: h.messageIds,
        grouped: [],
      });
      keptAncestors.push(ancestors);
    }
  }
  return kept;
}

/**
 * Source messages ranked by the items that lead to them: each item shares its score among its messages, and a message
 * gains a share of its better neighbour's score.
 */
async function messageHits(
  deps: QueryDeps,
  o: Options,
  fused: FusedHit[],
  hydrate: (ids: string[]) => Promise<void>,
  info: Map<string, Hydrated>,
): Promise<QueryHit[]> {
  await hydrate(fused.map((f) => f.id));
  const own = new Map<
    string,
    { score: number; sources: Partial<Record<QuerySource, SourceScore>>; from: FusedHit[] }
  >();
  for (const f of fused) {
    const h = info.get(f.id);
    if (!h || h.messageIds.length === 0) continue;
    const share = f.score / h.messageIds.length ** SHARE_EXPONENT;
    for (const m of h.messageIds) {
      let e = own.get(m);
      if (!e) {
        e = { score: 0, sources: {}, from: [] };
        own.set(m, e);
      }
      e.score += share;
      e.from.push(f);
      for (const [s, v] of Object.entries(f.sources) as [QuerySource, SourceScore][]) {
        const prev = e.sources[s];
        if (!prev || v.rank < prev.rank) e.sources[s] = { ...v };
      }
    }
  }
  const { result } = await deps.storage.search('messages', { ids: [...own.keys()], neighbours: true });
  const rows = new Map(result.messages.map((m) => [m.message.id, m]));
  // Neighbours of scored messages are candidates too, even with no score of their own.
  const extra = result.messages.flatMap((m) => [m.before, m.after]).filter((id): id is string => !!id && !rows.has(id));
  if (extra.length > 0) {
    const more = await deps.storage.search('messages', { ids: [...new Set(extra)], neighbours: true });
    for (const m of more.result.messages) rows.set(m.message.id, m);
  }
  const ownScore = (id: string | null) => (id ? (own.get(id)?.score ?? 0) : 0);
  const ranked = [...rows.values()]
    .filter((r) => !o.sessionIds || o.sessionIds.includes(r.message.sessionId))
    .map((r) => {
      const better = ownScore(r.after) > ownScore(r.before) ? r.after : r.before;
      const lift = NEIGHBOUR_SHARE * ownScore(better);
      return { r, score: ownScore(r.message.id) + lift, neighbour: better && lift > 0 ? better : null, lift };
    })
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || (a.r.message.id < b.r.message.id ? -1 : 1))
    .slice(0, o.k);
  return ranked.map(({ r, score, neighbour, lift }, i) => {
    const e = own.get(r.message.id);
    return {
      id: r.message.id,
      layer: 'message',
      kind: r.message.role,
      sessionId: r.message.sessionId,
      text: `${r.message.speaker}: ${r.message.text}`,
      rank: i + 1,
      score,
      sources: e?.sources ?? {},
      validFrom: r.message.timestamp,
      validTo: null,
      messageIds: [r.message.id],
      grouped: (e?.from ?? []).map((f) => {
        const h = info.get(f.id) as Hydrated;
        return { id: h.id, layer: h.layer, kind: h.kind, score: f.score };
      }),
      ...(neighbour && { neighbour: { messageId: neighbour, contribution: lift } }),
    };
  });
}
