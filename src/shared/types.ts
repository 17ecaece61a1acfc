/** Plain data types shared by the engine, the API contract and the renderer. No runtime code. */

export type Layer = 'm0' | 'm1' | 'm2';
export type StoreName = 'vector' | 'keyword' | 'graph';
export const STORE_NAMES: readonly StoreName[] = ['vector', 'keyword', 'graph'];
export type WriteMode = 'parallel' | 'sequential';

export interface Session {
  id: string;
  title: string;
  participants: string[];
  startedAt: number | null;
  userId: string | null;
  agentId: string | null;
  createdAt: number;
}

export interface Message {
  id: string;
  sessionId: string;
  seq: number;
  role: string;
  speaker: string;
  text: string;
  /** Epoch milliseconds. */
  timestamp: number;
  externalId: string | null;
  metadata: Record<string, unknown> | null;
}

/** One indexed unit (a chunk, an episode, a fact …) as the stores see it. */
export interface ItemRecord {
  id: string;
  layer: Layer;
  kind: string;
  sessionId: string | null;
  text: string;
  /** Ids of the messages or items this one was derived from. */
  sources: string[];
}

export type SpanStatus = 'ok' | 'failed' | 'deferred';

export interface Span {
  /** What ran: validate, journal, embed, store … */
  stage: string;
  store?: StoreName | 'core';
  layer?: Layer;
  /** Milliseconds from the trace's start. */
  start: number;
  durationMs: number;
  /** Time the request waited in the worker's queue before it ran. */
  queuedMs?: number;
  rows: number;
  threadId: number;
  status: SpanStatus;
  error?: { code: string; message: string };
}

export interface WriteTrace {
  id: string;
  kind: string;
  mode: WriteMode;
  /** Epoch milliseconds. */
  startedAt: number;
  totalMs: number;
  rows: number;
  /** Journal sequence the write was acknowledged at. */
  seq: number;
  spans: Span[];
  /** Remarks about how it was built (which extractor ran, why an LLM call fell back). */
  notes?: string[];
}

export interface StoreStatus {
  store: StoreName;
  appliedSeq: number;
  healthy: boolean;
  pendingOps: number;
  failures: number;
  lastError: { code: string; message: string } | null;
  workerRestarts: number;
  /** Times the store was rebuilt from the journal (it had lost rows, or the ops it needed were pruned). */
  rebuilds: number;
  /** The store's file (absolute path). */
  file: string;
  /** Whether queries can read it now (false while its file is missing, damaged or being rebuilt). */
  readable: boolean;
}

/** The IVF index over one layer of vector.db (exact search serves a layer without one). */
export interface AnnLayerStatus {
  layer: string;
  /** Vectors of the layer in the store. */
  rows: number;
  generation: number;
  nlist: number;
  /** Lists probed per query: the smallest whose recall@10 reached the target in the last self-check. */
  nprobe: number;
  /** Recall@10 against exact search at that nprobe; null until the self-check has run. */
  recall: number | null;
  trainedRows: number;
  trainMs: number;
  /** Rows written since the cells were packed (folded in at idle). */
  deltaRows: number;
  /** Bytes of packed cells and delta vectors. */
  bytes: number;
  /** A newer generation is being built beside this one. */
  rebuilding: boolean;
}

export interface EmbedderStatus {
  id: string;
  kind: 'static' | 'use-lite' | 'hashing' | 'custom';
  dim: number;
  workers: number;
  /** Set when the requested model could not load and the hashing embedder stands in for it. */
  fallback: { from: string; reason: string } | null;
  cacheEntries: number;
  cacheHits: number;
  embedded: number;
}

export interface EngineStatus extends StorageStatus {
  embedder: EmbedderStatus;
}

export interface StorageStatus {
  dataDir: string;
  mode: WriteMode;
  journalSeq: number;
  dim: number;
  stores: StoreStatus[];
  journalWorkerRestarts: number;
  open: boolean;
}

/** An item of any layer as the journal holds it, with its outgoing edges. */
export interface Item {
  id: string;
  layer: Layer;
  kind: string;
  sessionId: string | null;
  text: string;
  data: Record<string, unknown> | null;
  validFrom: number | null;
  validTo: number | null;
  /** What it was derived from (messages for a chunk, chunks for an episode, an episode and messages for a fact). */
  sources: string[];
  /** Its other outgoing edges (`mentions`, `superseded_by`, `from`, `to`). */
  links: { dst: string; kind: string }[];
}

/** Where an item came from, down to the messages, and everything derived from it. */
export interface Provenance {
  item: Item;
  /** Items it was derived from, transitively (episode, chunks …), nearest first. */
  ancestors: Item[];
  /** The source messages at the bottom of its provenance. */
  messages: Message[];
  /** Items derived from it, transitively (for a message: its chunk, episode, facts). */
  descendants: Item[];
}

export interface Decision {
  id: number;
  episodeId: string;
  sessionId: string;
  candidate: string;
  action: 'add' | 'update' | 'noop';
  factId: string | null;
  targetId: string | null;
  reason: string;
  at: number;
}

export interface ItemPage {
  items: Item[];
  total: number;
}

/** Where a query result came from: nearest vectors, FTS5 bm25, entity expansion in the graph, or the query's dates. */
export type QuerySource = 'vector' | 'keyword' | 'graph' | 'time';
export const QUERY_SOURCES: readonly QuerySource[] = ['vector', 'keyword', 'graph', 'time'];

/** One source's view of a result: its 1-based rank there, its raw score, and what it added to the fused score. */
export interface SourceScore {
  rank: number;
  /** vector: cosine distance (lower is nearer); keyword: bm25 (lower is better); graph: hops from a named entity. */
  raw: number;
  contribution: number;
}

export interface QueryHit {
  /** An item id, or a message id when the query asked for messages. */
  id: string;
  layer: Layer | 'message';
  kind: string;
  sessionId: string | null;
  text: string;
  /** 1-based position in the results. */
  rank: number;
  /** Fused score: the sum of the contributions below. */
  score: number;
  sources: Partial<Record<QuerySource, SourceScore>>;
  validFrom: number | null;
  validTo: number | null;
  /** The source messages at the bottom of its provenance. */
  messageIds: string[];
  /** Results of other layers with the same provenance (a fact's own chunk, say), folded into this one. */
  grouped: { id: string; layer: Layer; kind: string; score: number }[];
  /**
   * Messages mode: the share of its better neighbour's score this message gained (answers follow questions), part of
   * `score`; absent when no neighbour was scored.
   */
  neighbour?: { messageId: string; contribution: number };
}

export interface QuerySpan {
  source: QuerySource | 'embed' | 'fuse' | 'provenance' | 'parse';
  layer?: Layer;
  /** Milliseconds from the query's start. */
  start: number;
  durationMs: number;
  /** Candidates this step returned. */
  rows: number;
}

export interface QueryResult {
  hits: QueryHit[];
  /** Dates understood in the query text, and whether they filtered or boosted. */
  time: { text: string; from: number; to: number; mode: 'filter' | 'boost' } | null;
  /** Entities of the query that the graph source expanded from. */
  entities: string[];
  trace: { totalMs: number; spans: QuerySpan[] };
  /** Sources that could not be read for this query (their store is unhealthy), and why; the others answered. */
  skipped: SkippedSource[];
}

/** A search source left out of one query because its store file could not be read. */
export interface SkippedSource {
  source: Exclude<QuerySource, 'time'>;
  code: string;
  message: string;
  file: string;
}

/** One isolate's memory as it reports itself (`stats().memory`): its V8 heap and the caches it holds. */
export interface IsolateMemory {
  /** The worker: `main`, `core`, `vector`, `keyword`, `graph` (writers), `reader` (shared), `reader:vectorSearch`, `reader:keywordSearch`, `reader:lane:now`, `reader:lane:suggest`, `embed`. */
  isolate: string;
  threadId: number;
  /** V8's heap in use and reserved, and memory held outside it (Buffers, WebAssembly memories), in MiB. */
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  /** The SQLite connections open in this isolate, each with its page-cache bound (KiB). */
  connections: { file: string; cacheKiB: number }[];
  /** Cells the IVF readers of this isolate hold in memory (MiB). */
  annCacheMb: number;
}
