/**
 * The one interface every system in the peers benchmark is driven through. Peers are dev dependencies loaded only
 * from bench/peers (each adapter imports its own package; the app never does).
 */

/** Consecutive corpus items, in corpus order. */
export interface CorpusBatch {
  ids: string[];
  /** The conversation an item belongs to (a LoCoMo sample id, or `synthetic`). */
  sessions: string[];
  speakers: string[];
  /** The turn without its speaker. */
  bodies: string[];
  /** `${speaker}: ${body}`: what every system indexes, and what the vectors were computed from. */
  texts: string[];
  timestamps: number[];
  /** texts.length × dim, row-major, every row unit-length; the same vectors for every system. */
  vectors: Float32Array;
}

/** A query: its text (for keyword search, and for systems that embed the text themselves) and its precomputed vector. */
export interface BenchQuery {
  text: string;
  vector: Float32Array;
}

/** Item ids, best first. */
export type Search = (q: BenchQuery, k: number) => Promise<string[]>;

export interface PeerSystem {
  readonly name: string;
  /** How the system was driven (store, persistence, index choices), copied into the results. */
  readonly notes: string[];
  open(dir: string, dim: number): Promise<void>;
  ingest(batch: CorpusBatch): Promise<void>;
  /** Whatever must happen before every ingested item is persisted and searchable (index builds, a save); timed as ingest. */
  finish(): Promise<void>;
  /** null where the system has no such search. */
  vectorSearch: Search | null;
  keywordSearch: Search | null;
  hybridSearch: Search | null;
  close(): Promise<void>;
  diskBytes(): Promise<number>;
  /** Anything else worth recording about the run (copied into the result's detail). */
  extra?(): Record<string, unknown>;
  /**
   * After ingest is timed and before the queries: wait at most `boundMs` for background work a query depends on (an
   * index build); `settled` says whether it ended within the bound.
   */
  settle?(boundMs: number): Promise<{ settled: boolean } & Record<string, unknown>>;
  /** Where that background work stands now (recorded with the queries made before it ends). */
  progress?(): Promise<Record<string, unknown>>;
}

/** What one child process measured for one system at one size. */
export interface RunFigures {
  ingest_per_s: number | null;
  vector_p50_ms: number | null;
  vector_p95_ms: number | null;
  keyword_p50_ms: number | null;
  keyword_p95_ms: number | null;
  hybrid_p50_ms: number | null;
  hybrid_p95_ms: number | null;
  recall_at_10: number | null;
  rss_mb: number | null;
  disk_mb: number | null;
}

export interface RunResult {
  system: string;
  size: number;
  ok: boolean;
  error: string | null;
  figures: RunFigures;
  detail: {
    ingest_ms?: number;
    finish_ms?: number;
    /** Part of ingest_ms spent reading the corpus batches from the page cache (the same for every system). */
    read_ms?: number;
    rss_before_open_mb?: number;
    queries?: { vector: number; keyword: number; hybrid: number };
    /** Share of keyword queries that returned at least one item. */
    keyword_hit_rate?: number | null;
    hybrid_hit_rate?: number | null;
    notes?: string[];
    [key: string]: unknown;
  };
}

export const EMPTY_FIGURES: RunFigures = {
  ingest_per_s: null,
  vector_p50_ms: null,
  vector_p95_ms: null,
  keyword_p50_ms: null,
  keyword_p95_ms: null,
  hybrid_p50_ms: null,
  hybrid_p95_ms: null,
  recall_at_10: null,
  rss_mb: null,
  disk_mb: null,
};
