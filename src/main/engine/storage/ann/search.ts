/**
 * Reading the IVF index: a layer's active generation, its centroids (cached per generation), and the scan of the
 * probed lists — packed cells minus their tombstones, plus the delta rows filed under the same lists. Shared by the
 * reader workers (queries) and the trainer (the recall self-check), so both measure the same search.
 */
import type { Statement } from 'better-sqlite3';
import type { AnnLayerStatus } from '../../../../shared/types';
import type { DB } from '../sqlite';
import { CellArena } from './cell-arena';
import { CodeArena } from './code-arena';
import { dot, floatsOf, nearestLists, RowScorer, rowidsOf, TopK } from './kernel';
import { CELL_ROWS } from './protocol';
import { dotInstance } from './wasm-dot';

export interface ActiveIndex {
  gen: number;
  nlist: number;
  dim: number;
  nprobe: number;
  centroids: Float32Array;
  /** The centroids loaded in a scorer of their own, for ranking lists. */
  centroidScorer: RowScorer;
}

export interface AnnHit {
  rowid: number;
  /** Dot product with the (unit) query: 1 − score is the cosine distance. */
  score: number;
}

/**
 * Bytes of cached cells a reader keeps in memory (STRATA_ANN_CACHE_MB; 0 turns it off). Counted in the form the
 * cache holds them: int8 codes and their int8 residuals by default (128 MiB: 128k vectors of 512, the whole 100k
 * index), float for the JS fallback and STRATA_ANN_CODES=f32 (twice the bytes, capped at 256 MiB).
 */
function cellCacheBytes(): number {
  const mb = Number(process.env.STRATA_ANN_CACHE_MB);
  return (Number.isFinite(mb) && mb >= 0 && process.env.STRATA_ANN_CACHE_MB !== '' ? mb : 128) * 2 ** 20;
}

/**
 * How many candidates of the int8 pass are re-scored against the float query at least: the int8 · int8 order alone
 * lost 3 points of recall@10 at 100k; re-scoring the rows it ranks in its top 50 restored the float scan's.
 */
export const RESCORE_DEPTH = 100;

/** Whether the int8 first pass serves (the default where the WASM kernel runs), or float cells (STRATA_ANN_CODES=f32). */
function codesWanted(): boolean {
  return process.env.STRATA_ANN_CODES !== 'f32';
}

/** Missed cells held for admission at most (float cells of 128 × 512: 256 KiB each). */
const MAX_PENDING = 64;
/** Cached cells a full cache gives up per admission round. */
export const EVICTIONS_PER_ADMIT = 8;

/** One probed list's contents in a snapshot: its cells' ids, its tombstoned rowids, its delta rows. */
interface ListMeta {
  cells: number[];
  dead: Set<number>;
  delta: { rowid: number; vector: Float32Array }[];
}

/** A cached cell: its rowids, its slot in the arena, and (int8 codes) each vector's scale. */
interface CachedCell {
  rowids: Float64Array;
  slot: number;
  scales: Float32Array | null;
  /** (int8 codes) each value's rounding residual, for re-scoring. */
  fine: Int8Array | null;
}

/** The IVF readers alive in this isolate (weakly held), for its memory report. */
const readers = new Set<WeakRef<IvfReader>>();

/** Bytes of cells the IVF readers of this isolate hold. */
export function annCacheBytes(): number {
  let n = 0;
  for (const ref of readers) {
    const r = ref.deref();
    if (!r) readers.delete(ref);
    else n += r.cacheState().bytes;
  }
  return n;
}

export class IvfReader {
  private readonly active: Statement<[string], { gen: number; nlist: number; dim: number; nprobe: number }>;
  private readonly centroidsOf: Statement<[number], { centroids: Buffer }>;
  private readonly cellIds: Statement<[number, number], { id: number }>;
  private readonly cellById: Statement<[number], { rowids: Buffer; vectors: Buffer }>;
  /**
   * Cells by id (ids are never reused, a cell never rewritten), least recently used first: their rowids here, their
   * vectors in a slot of the arena (the kernel's memory); bounded by the arena's slots.
   */
  private readonly cellCache = new Map<number, CachedCell>();
  private arena: CellArena | CodeArena | null = null;
  private readonly delta: Statement<[number, number], { rowid: number; vector: Buffer }>;
  private readonly tombs: Statement<[number, number], { rowid: number }>;
  private cache: { gen: number; centroids: Float32Array } | null = null;
  private readonly cacheByGen = new Map<number, { centroids: Float32Array; scorer: RowScorer }>();
  /** Cell reads served from the cache and read from SQLite (the benchmark's hit rate). */
  readonly cellReads = { hits: 0, misses: 0 };
  /** Probed lists' contents of the snapshot `version` (see listOf). */
  private readonly lists = new Map<number, ListMeta>();
  private version = -1;
  private readonly dataVersion: Statement<[], { data_version: number }>;
  /** Missed cells scored this query, waiting to be quantised into the cache. */
  private readonly pending = new Map<number, { rowids: Float64Array; vectors: Float32Array }>();
  private admitScheduled = false;
  private readonly missScorer: RowScorer;

  constructor(
    private readonly db: DB,
    private readonly cacheBytes = cellCacheBytes(),
    /** 'js' forces the JS loop (the benchmark's comparison); the WASM kernel otherwise, where available. */
    private readonly prefer: 'wasm-simd' | 'js' = 'wasm-simd',
    /** int8 codes first, re-scored in float (the default); false scans float cells exactly. */
    private readonly codes = codesWanted(),
  ) {
    this.active = db.prepare(
      "SELECT gen, nlist, dim, nprobe FROM ann_gens WHERE layer = ? AND state = 'active' LIMIT 1",
    );
    this.centroidsOf = db.prepare('SELECT centroids FROM ann_gens WHERE gen = ?');
    this.cellIds = db.prepare('SELECT id FROM ann_cells WHERE gen = ? AND list = ? ORDER BY id');
    this.cellById = db.prepare('SELECT rowids, vectors FROM ann_cells WHERE id = ?');
    this.delta = db.prepare('SELECT rowid, vector FROM ann_delta WHERE gen = ? AND list = ?');
    this.tombs = db.prepare('SELECT rowid FROM ann_tombs WHERE gen = ? AND list = ?');
    this.dataVersion = db.prepare('PRAGMA data_version');
    this.missScorer = new RowScorer(prefer);
    readers.add(new WeakRef(this));
  }

  /** Whether the layer has an active index (else exact search serves it). */
  hasIndex(layer: string): boolean {
    return this.active.get(layer) !== undefined;
  }

  /** The layer's active index, or null when the layer is served by exact search. */
  index(layer: string): ActiveIndex | null {
    const row = this.active.get(layer);
    if (!row) return null;
    const { centroids, scorer } = this.centroids(row.gen, row.nlist, row.dim);
    return { ...row, centroids, centroidScorer: scorer };
  }

  private centroids(gen: number, nlist: number, dim: number): { centroids: Float32Array; scorer: RowScorer } {
    const hit = this.cacheByGen.get(gen);
    if (hit) return hit;
    const blob = this.centroidsOf.get(gen)?.centroids;
    const c = blob ? floatsOf(Buffer.from(blob)) : new Float32Array(0);
    const scorer = new RowScorer(this.prefer);
    scorer.load(c, 0, Math.min(nlist, Math.floor(c.length / Math.max(1, dim))), dim);
    // Only the generations in use stay cached: one per layer, plus the one being replaced during a swap.
    if (this.cacheByGen.size > 8) this.cacheByGen.clear();
    this.cacheByGen.set(gen, { centroids: c, scorer });
    this.cache = { gen, centroids: c };
    return { centroids: c, scorer };
  }

  /** Which kernel scores the cells: 'wasm-simd-int8', 'wasm-simd' (float) or 'js' (the fallback). */
  kernel(dim: number): 'wasm-simd-int8' | 'wasm-simd' | 'js' {
    const a = this.arenaFor(dim);
    return a instanceof CodeArena ? 'wasm-simd-int8' : a.kind;
  }

  private arenaFor(dim: number): CellArena | CodeArena {
    if (!this.arena || this.arena.dim !== dim) {
      this.cellCache.clear();
      const wasm = this.codes && this.prefer !== 'js' && dim % 16 === 0 && dim > 0 ? dotInstance() : null;
      if (wasm) {
        // Two bytes a value: the codes in the arena, their residuals beside them.
        const slots = Math.max(1, Math.floor(this.cacheBytes / (2 * CELL_ROWS * dim)));
        this.arena = new CodeArena(dim, CELL_ROWS, slots, wasm);
      } else {
        const slots = Math.max(1, Math.floor(Math.min(this.cacheBytes * 2, 256 * 2 ** 20) / (CELL_ROWS * dim * 4)));
        this.arena = new CellArena(dim, CELL_ROWS, slots, this.prefer);
      }
    }
    return this.arena;
  }

  /**
   * Scans `lists` (in the order given) of generation `ix.gen` for the query `q` (unit length), keeping the top `k`
   * that pass `keep`. `onList` sees the heap after each list, for the self-check's nprobe ladder.
   */
  scan(
    ix: ActiveIndex,
    q: Float32Array,
    lists: number[],
    k: number,
    keep?: (rowid: number) => boolean,
    onList?: (scanned: number, top: TopK) => void,
  ): TopK {
    const { dim, gen } = ix;
    const top = new TopK(k);
    const seen = new Set<number>();
    const arena = this.arenaFor(dim);
    arena.setQuery(q);
    // The int8 pass keeps its own heap of the best RESCORE_DEPTH approximate scores: every row that enters it is
    // re-scored against the float query at once (its codes are in the arena now) and offered to `top`, so `top`
    // ends with the best re-scored rows among a superset of the int8 pass's final top RESCORE_DEPTH.
    const approx = arena instanceof CodeArena ? new TopK(Math.max(k, RESCORE_DEPTH)) : null;
    const qScale = arena instanceof CodeArena ? arena.queryScale : 1;
    const offer = (rowid: number, dead: Set<number>): boolean => {
      if (dead.has(rowid) || seen.has(rowid) || (keep && !keep(rowid))) return false;
      seen.add(rowid);
      return true;
    };
    lists.forEach((list, i) => {
      const { cells, dead, delta } = this.listOf(gen, list, dim);
      for (const id of cells) {
        const cell = this.cellCache.get(id);
        if (!cell) {
          // A miss is scored exactly from the float cell SQLite holds: nothing is quantised on the query's path.
          const miss = this.readCell(id);
          if (!miss) continue;
          this.cellReads.misses++;
          const n = miss.rowids.length;
          this.missScorer.load(miss.vectors, 0, n, dim);
          const scores = this.missScorer.score(q, 0);
          for (let j = 0; j < n; j++) {
            const s = scores[j] as number;
            const rowid = miss.rowids[j] as number;
            if (s < top.floor || !offer(rowid, dead)) continue;
            top.push(s, rowid);
          }
          this.queueAdmission(id, miss);
          continue;
        }
        this.cellReads.hits++;
        this.cellCache.delete(id);
        this.cellCache.set(id, cell);
        const { rowids, slot, scales, fine } = cell;
        if (arena instanceof CodeArena && approx && scales && fine) {
          const sums = arena.score(slot, rowids.length);
          for (let j = 0; j < rowids.length; j++) {
            const rowid = rowids[j] as number;
            const a = (sums[j] as number) * (scales[j] as number) * qScale;
            if (a < approx.floor || !offer(rowid, dead)) continue;
            approx.push(a, rowid);
            top.push(arena.refine(slot, j, scales[j] as number, fine), rowid);
          }
        } else if (arena instanceof CellArena) {
          const scores = arena.score(slot, rowids.length);
          for (let j = 0; j < rowids.length; j++) {
            const rowid = rowids[j] as number;
            const s = scores[j] as number;
            if (s < top.floor || !offer(rowid, dead)) continue;
            top.push(s, rowid);
          }
        }
      }
      for (const d of delta) {
        if (seen.has(d.rowid) || (keep && !keep(d.rowid))) continue;
        seen.add(d.rowid);
        top.push(dot(d.vector, 0, q, 0, dim), d.rowid);
      }
      onList?.(i + 1, top);
    });
    return top;
  }

  /**
   * A list's cell ids, tombstones and delta rows, read once per snapshot that changed anything: they are kept until
   * `PRAGMA data_version` says another connection committed (every fold, write or swap of the vector writer does),
   * so a read-mostly reader does not run three statements per probed list on every query.
   */
  private listOf(gen: number, list: number, dim: number): ListMeta {
    const key = gen * 1_000_003 + list;
    let meta = this.lists.get(key);
    if (!meta) {
      const dead = new Set<number>();
      for (const t of this.tombs.iterate(gen, list)) dead.add(t.rowid);
      const cells = this.cellIds.all(gen, list).map((r) => r.id);
      const delta: ListMeta['delta'] = [];
      for (const d of this.delta.iterate(gen, list)) {
        delta.push({ rowid: d.rowid, vector: Float32Array.from(floatsOf(d.vector).subarray(0, dim)) });
      }
      meta = { cells, dead, delta };
      this.lists.set(key, meta);
    }
    return meta;
  }

  /** Within a read transaction: drops the cached list contents when the file changed since they were read. */
  private checkVersion(): void {
    const v = this.dataVersion.get()?.data_version ?? -1;
    if (v !== this.version) {
      this.lists.clear();
      this.version = v;
    }
  }

  private readCell(id: number): { rowids: Float64Array; vectors: Float32Array } | null {
    const row = this.cellById.get(id);
    if (!row) return null;
    const read = rowidsOf(row.rowids);
    const rowids = read.length > CELL_ROWS ? read.subarray(0, CELL_ROWS) : read;
    return { rowids, vectors: floatsOf(row.vectors) };
  }

  /**
   * A missed cell waits for admission to the cache after the query has answered (`admitPending`, scheduled with
   * setImmediate: a worker posts its reply first). The queue is bounded (its float cells are held until then).
   */
  private queueAdmission(id: number, cell: { rowids: Float64Array; vectors: Float32Array }): void {
    if (this.cacheBytes <= 0 || this.pending.size >= MAX_PENDING) return;
    this.pending.set(id, cell);
    if (!this.admitScheduled) {
      this.admitScheduled = true;
      setImmediate(() => this.admitPending());
    }
  }

  /**
   * Quantises the queued cells into the cache: all of them while it has free slots; once full, at most
   * EVICTIONS_PER_ADMIT, each replacing the least recently used cell, so a cache smaller than the probed part of
   * the index cannot churn (its hits stay where they were; the misses are scored from floats either way).
   */
  admitPending(): number {
    this.admitScheduled = false;
    const arena = this.arena;
    let admitted = 0;
    let evictions = EVICTIONS_PER_ADMIT;
    for (const [id, miss] of this.pending) {
      if (!arena || this.cellCache.has(id)) continue;
      const n = miss.rowids.length;
      const rowids = Float64Array.from(miss.rowids);
      const scales = arena instanceof CodeArena ? new Float32Array(n) : null;
      const fine = arena instanceof CodeArena ? new Int8Array(n * arena.dim) : null;
      const put = () =>
        arena instanceof CodeArena
          ? arena.put(miss.vectors, n, scales as Float32Array, fine as Int8Array)
          : arena.put(miss.vectors, n);
      let slot = put();
      if (slot === null && evictions > 0) {
        const oldest = this.cellCache.keys().next();
        if (!oldest.done) {
          arena.release((this.cellCache.get(oldest.value) as CachedCell).slot);
          this.cellCache.delete(oldest.value);
          evictions--;
          slot = put();
        }
      }
      if (slot === null) continue;
      this.cellCache.set(id, { rowids, slot, scales, fine });
      admitted++;
    }
    this.pending.clear();
    return admitted;
  }

  /** The cached cells' ids, least recently used first (tests). */
  cachedCellIds(): number[] {
    return [...this.cellCache.keys()];
  }

  /** Cells cached now, and cells waiting for admission (tests, stats). */
  cacheState(): { cells: number; pending: number; bytes: number } {
    const a = this.arena;
    const perCell = a ? CELL_ROWS * a.dim * (a instanceof CodeArena ? 2 : 4) : 0;
    return { cells: this.cellCache.size, pending: this.pending.size, bytes: this.cellCache.size * perCell };
  }

  /**
   * The top `k` of `layer` by its IVF index, probing `nprobe` lists (the self-checked value when omitted), or null
   * when the layer has no index. The generation is read in the same snapshot as its lists, so a swap committed
   * meanwhile is either wholly seen or not at all.
   */
  search(
    layer: string,
    q: Float32Array,
    k: number,
    opts: { nprobe?: number; keep?: (rowid: number) => boolean } = {},
  ): AnnHit[] | null {
    const run = this.db.transaction(() => {
      const ix = this.index(layer);
      if (!ix) return null;
      this.checkVersion();
      const lists = nearestLists(ix.centroids, ix.nlist, q, ix.dim, opts.nprobe ?? ix.nprobe, ix.centroidScorer);
      return this.scan(ix, q, lists, k, opts.keep).sorted();
    });
    return run()?.map((e) => ({ rowid: e.id, score: e.score })) ?? null;
  }

  /** The cached centroids' generation (for tests that check a swap was noticed). */
  cachedGen(): number | null {
    return this.cache?.gen ?? null;
  }
}

/** Each layer's active index as stats() reports it, read in one snapshot. */
export function annStatus(db: DB): AnnLayerStatus[] {
  const run = db.transaction(() =>
    activeGenerations(db).map((g): AnnLayerStatus => {
      const one = <T>(sql: string, ...args: unknown[]) => db.prepare<unknown[], T>(sql).get(...args) as T;
      const delta = one<{ n: number; b: number | null }>(
        'SELECT count(*) AS n, sum(length(vector)) AS b FROM ann_delta WHERE gen = ?',
        g.gen,
      );
      const cells = one<{ b: number | null }>(
        'SELECT sum(length(vectors) + length(rowids)) AS b FROM ann_cells WHERE gen = ?',
        g.gen,
      );
      return {
        layer: g.layer,
        rows: one<{ n: number }>('SELECT count(*) AS n FROM vec_ids WHERE layer = ?', g.layer).n,
        generation: g.gen,
        nlist: g.nlist,
        nprobe: g.nprobe,
        recall: g.recall,
        trainedRows: g.trained_rows,
        trainMs: g.train_ms,
        deltaRows: delta.n,
        bytes: (cells.b ?? 0) + (delta.b ?? 0),
        rebuilding:
          one<{ n: number }>("SELECT count(*) AS n FROM ann_gens WHERE layer = ? AND state = 'building'", g.layer).n >
          0,
      };
    }),
  );
  return run();
}

/** A layer's active generation as `ann_gens` records it. */
export interface ActiveGeneration {
  layer: string;
  gen: number;
  nlist: number;
  nprobe: number;
  recall: number | null;
  trained_rows: number;
  train_ms: number;
}

/** Every layer's active generation, by layer: what stats() reports, and the writer's own view of its index. */
export function activeGenerations(db: DB): ActiveGeneration[] {
  return db
    .prepare<[], ActiveGeneration>(
      "SELECT layer, gen, nlist, nprobe, recall, trained_rows, train_ms FROM ann_gens WHERE state = 'active' ORDER BY layer",
    )
    .all();
}
