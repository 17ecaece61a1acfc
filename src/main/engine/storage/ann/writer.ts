/**
 * The IVF index's writer side, living in the vector writer's thread. It keeps every generation of a layer's index
 * current inside the vector writer's own transactions (an insert is filed in the delta under its nearest centroid,
 * a delete or replacement tombstones the cell copy), folds the delta into packed cells at idle or past a size,
 * starts the trainer worker when a layer crosses the threshold, doubles, or skews, writes the cells it sends as a
 * new generation beside the active one, and swaps it in with one transaction. What it finds inconsistent at open
 * it retires and rebuilds in the background; exact search serves meanwhile.
 * Over 400 lines because the index's write-side invariants (delta, tombstones, folds, generations, the swap) must
 * be kept by one object inside one transaction; the read side, k-means and the trainer are in their own files.
 */
import { Worker } from 'node:worker_threads';
import type { DB } from '../sqlite';
import { blobOf, floatsOf, nearest, rowidsOf, unitCopy } from './kernel';
import { listsFor } from './kmeans';
import { type AnnTrainInit, CELL_ROWS, type RecallCheck, type TrainerMessage, type WriterMessage } from './protocol';
import { activeGenerations } from './search';

export interface AnnOptions {
  /** A layer is served by exact search below this many vectors. */
  minRows: number;
  /** The delta is folded into cells once a generation holds this many delta rows (and at idle regardless). */
  deltaFold: number;
  /** Quiet time after the last write before idle maintenance (folding, clean-up, re-checks). */
  idleMs: number;
  /** Vectors the k-means sees. */
  sample: number;
  iterations: number;
  checkQueries: number;
  targetRecall: number;
  seed: number;
  /** The worker entry that runs the trainer (the store worker's own bundle); null: never train. */
  trainerEntry: string | URL | null;
  busyTimeoutMs: number;
  /** Sees every maintenance event as it happens (the kill tests time their kills by it). */
  onEvent?: (event: string) => void;
}

export const ANN_FORMAT = '1';

export function defaultAnnOptions(over: Partial<AnnOptions> = {}): AnnOptions {
  // The threshold can be lowered by the environment, so engine-level tests and benchmarks reach IVF with small data.
  const env = Number(process.env.STRATA_ANN_MIN_ROWS);
  return {
    minRows: Number.isFinite(env) && env > 0 ? env : 20_000,
    deltaFold: 4096,
    idleMs: 1500,
    sample: 32_768,
    iterations: 10,
    checkQueries: 200,
    targetRecall: 0.97,
    seed: 13,
    trainerEntry: null,
    busyTimeoutMs: 5000,
    ...over,
  };
}

interface Gen {
  gen: number;
  layer: string;
  nlist: number;
  centroids: Float32Array;
  trainedRows: number;
  /** The last self-check's recall (null: not run yet) and the layer's rows when it ran. */
  recall: number | null;
  checkedRows: number;
}

interface ActiveRow {
  gen: number;
  layer: string;
  nlist: number;
  dim: number;
  centroids: Buffer;
  trained_rows: number;
  recall: number | null;
  checked_rows: number | null;
}

interface Training {
  layer: string;
  worker: Worker;
  mode: 'train' | 'check';
  gen: number | null;
  done: boolean;
  /** The shared stop flag the trainer reads at its checkpoints. */
  cancel: Int32Array;
  /** Settles when the thread has ended. */
  exited: Promise<void>;
}

/** How long close() waits for a stopped trainer to end by itself before terminating it as a last resort. */
const TRAINER_EXIT_MS = 120_000;

export interface AnnLayerState {
  layer: string;
  rows: number;
  gen: number | null;
  nlist: number;
  nprobe: number;
  recall: number | null;
  trainedRows: number;
  trainMs: number;
  deltaRows: number;
  training: boolean;
}

export class AnnWriter {
  private readonly active = new Map<string, Gen>();
  private readonly building = new Map<string, Gen>();
  private readonly rows = new Map<string, number>();
  private deltaSince = new Map<number, number>();
  private trainer: Training | null = null;
  /** Trainer threads not yet ended (the running one and any stopped ones winding down). */
  private readonly threads = new Set<Training>();
  /** Trainer threads that had to be terminated because they did not end within the bound (should stay 0). */
  forcedStops = 0;
  private idle: ReturnType<typeof setTimeout> | null = null;
  private pending: ReturnType<typeof setImmediate> | null = null;
  private failures = new Map<string, { at: number; rows: number }>();
  private closed = false;
  private cellSeq = 0;
  /** Training runs and their outcomes, newest last (kept small; for stats and tests). */
  readonly history: { layer: string; event: string; gen: number | null; at: number }[] = [];

  private readonly s;

  constructor(
    private readonly db: DB,
    private readonly dim: number,
    private readonly file: string,
    readonly opts: AnnOptions,
  ) {
    this.s = {
      insertDelta: db.prepare<[number, number, number, Buffer]>(
        'INSERT INTO ann_delta(gen, rowid, list, vector) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT(gen, rowid) DO UPDATE SET list = excluded.list, vector = excluded.vector',
      ),
      deleteDelta: db.prepare<[number, number]>('DELETE FROM ann_delta WHERE gen = ? AND rowid = ?'),
      insertTomb: db.prepare<[number, number, number]>(
        'INSERT OR IGNORE INTO ann_tombs(gen, list, rowid) VALUES (?, ?, ?)',
      ),
      insertCell: db.prepare<[number, number, number, number, Buffer, Buffer]>(
        'INSERT INTO ann_cells(id, gen, list, n, rowids, vectors) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      putCellSeq: db.prepare<[string]>("INSERT OR REPLACE INTO store_meta VALUES ('ann_cell_seq', ?)"),
      deltaCount: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM ann_delta WHERE gen = ?'),
      touchedLists: db.prepare<[number, number], { list: number }>(
        'SELECT list FROM ann_delta WHERE gen = ? UNION SELECT list FROM ann_tombs WHERE gen = ?',
      ),
      cellsOf: db.prepare<[number, number], { id: number; n: number; rowids: Buffer; vectors: Buffer }>(
        'SELECT id, n, rowids, vectors FROM ann_cells WHERE gen = ? AND list = ? ORDER BY id',
      ),
      deltaOf: db.prepare<[number, number], { rowid: number; vector: Buffer }>(
        'SELECT rowid, vector FROM ann_delta WHERE gen = ? AND list = ? ORDER BY rowid',
      ),
      tombsOf: db.prepare<[number, number], { rowid: number }>(
        'SELECT rowid FROM ann_tombs WHERE gen = ? AND list = ?',
      ),
      deleteCell: db.prepare<[number]>('DELETE FROM ann_cells WHERE id = ?'),
      clearList: db.prepare<[number, number]>('DELETE FROM ann_delta WHERE gen = ? AND list = ?'),
      clearTombs: db.prepare<[number, number]>('DELETE FROM ann_tombs WHERE gen = ? AND list = ?'),
      listSizes: db.prepare<[number], { s: number }>('SELECT sum(n) AS s FROM ann_cells WHERE gen = ? GROUP BY list'),
    };
    this.load();
  }

  /** Reads the generations back, retiring what cannot be trusted (a half-built one, a wrong shape or count). */
  private load(): void {
    const db = this.db;
    const format = db.prepare<[], { value: string }>("SELECT value FROM store_meta WHERE key = 'ann_format'").get();
    const tx = db.transaction(() => {
      if (format?.value !== ANN_FORMAT) {
        // An index of another format: drop it; the vectors rebuild it.
        db.exec('DELETE FROM ann_cells; DELETE FROM ann_delta; DELETE FROM ann_tombs; DELETE FROM ann_gens;');
        db.prepare("INSERT OR REPLACE INTO store_meta VALUES ('ann_format', ?)").run(ANN_FORMAT);
      }
      const seq = db.prepare<[], { value: string }>("SELECT value FROM store_meta WHERE key = 'ann_cell_seq'").get();
      const maxId = db.prepare<[], { m: number | null }>('SELECT max(id) AS m FROM ann_cells').get()?.m ?? 0;
      this.cellSeq = Math.max(Number(seq?.value ?? 0), maxId);
      // A generation still building when the process stopped has lost its trainer.
      db.exec("UPDATE ann_gens SET state = 'retired' WHERE state = 'building'");
      for (const r of db
        .prepare<[], { layer: string; n: number }>('SELECT layer, count(*) AS n FROM vec_ids GROUP BY layer')
        .all()) {
        this.rows.set(r.layer, r.n);
      }
      const gens = db
        .prepare<[], ActiveRow>(
          `SELECT gen, layer, nlist, dim, centroids, trained_rows, recall, checked_rows
           FROM ann_gens WHERE state = 'active'`,
        )
        .all();
      for (const g of gens) {
        const why = this.inconsistency(g);
        if (why) {
          db.prepare("UPDATE ann_gens SET state = 'retired' WHERE gen = ?").run(g.gen);
          this.note(g.layer, `retired: ${why}`, g.gen);
          continue;
        }
        this.active.set(g.layer, {
          gen: g.gen,
          layer: g.layer,
          nlist: g.nlist,
          centroids: floatsOf(Buffer.from(g.centroids)),
          trainedRows: g.trained_rows,
          recall: g.recall,
          checkedRows: g.checked_rows ?? 0,
        });
        this.deltaSince.set(g.gen, this.s.deltaCount.get(g.gen)?.n ?? 0);
      }
    });
    tx.immediate();
    this.schedule();
  }

  /** Why an active generation cannot serve, or null. Every vector is in exactly one unmasked place. */
  private inconsistency(g: {
    gen: number;
    layer: string;
    nlist: number;
    dim: number;
    centroids: Buffer;
  }): string | null {
    if (g.dim !== this.dim) return `dimension ${g.dim}, the store has ${this.dim}`;
    if (g.centroids.byteLength !== g.nlist * g.dim * 4) return 'centroid blob of the wrong size';
    const q = (sql: string) => this.db.prepare<[number], { n: number | null }>(sql).get(g.gen)?.n ?? 0;
    const cells = q('SELECT sum(n) AS n FROM ann_cells WHERE gen = ?');
    const delta = q('SELECT count(*) AS n FROM ann_delta WHERE gen = ?');
    const tombs = q('SELECT count(*) AS n FROM ann_tombs WHERE gen = ?');
    const n = this.rows.get(g.layer) ?? 0;
    if (n > cells + delta || n < cells + delta - tombs) {
      return `holds ${cells} packed + ${delta} delta − ≤${tombs} tombstoned rows for ${n} vectors`;
    }
    return null;
  }

  private note(layer: string, event: string, gen: number | null): void {
    this.history.push({ layer, event, gen, at: Date.now() });
    this.opts.onEvent?.(`${event.split(' ')[0]} ${layer} ${gen ?? '-'}`);
    if (this.history.length > 50) this.history.shift();
  }

  private gensOf(layer: string): Gen[] {
    const out: Gen[] = [];
    const a = this.active.get(layer);
    if (a) out.push(a);
    const b = this.building.get(layer);
    if (b) out.push(b);
    return out;
  }

  /** Whether writes to this layer must read the vector they replace (some generation files it). */
  indexed(layer: string): boolean {
    return this.active.has(layer) || this.building.has(layer);
  }

  /**
   * Inside the vector writer's transaction: `vec` (raw) now stands for `rowid` in `layer`; `old` is what it
   * replaced, if anything. A generation being built tombstones the new vector too: the trainer's snapshot may
   * already hold it in a cell.
   */
  onUpsert(
    rowid: number,
    layer: string,
    vec: Float32Array,
    old: { layer: string; vec: Float32Array | null } | null,
  ): void {
    if (!old) this.rows.set(layer, (this.rows.get(layer) ?? 0) + 1);
    else if (old.layer !== layer) {
      this.rows.set(old.layer, Math.max(0, (this.rows.get(old.layer) ?? 0) - 1));
      this.rows.set(layer, (this.rows.get(layer) ?? 0) + 1);
    }
    if (old && old.layer !== layer && old.vec) this.forget(rowid, old.layer, old.vec);
    const gens = this.gensOf(layer);
    if (gens.length === 0) return;
    const unit = unitCopy(vec, 0, this.dim);
    const oldUnit = old?.vec && old.layer === layer ? unitCopy(old.vec, 0, this.dim) : null;
    const blob = blobOf(unit);
    for (const g of gens) {
      const list = nearest(g.centroids, g.nlist, unit, 0, this.dim);
      if (oldUnit) this.s.insertTomb.run(g.gen, nearest(g.centroids, g.nlist, oldUnit, 0, this.dim), rowid);
      if (g !== this.active.get(layer)) this.s.insertTomb.run(g.gen, list, rowid);
      this.s.insertDelta.run(g.gen, rowid, list, blob);
      this.deltaSince.set(g.gen, (this.deltaSince.get(g.gen) ?? 0) + 1);
    }
  }

  /** Inside the vector writer's transaction: `rowid` (whose vector was `oldVec`) left `layer`. */
  onDelete(rowid: number, layer: string, oldVec: Float32Array | null): void {
    this.rows.set(layer, Math.max(0, (this.rows.get(layer) ?? 0) - 1));
    if (oldVec) this.forget(rowid, layer, oldVec);
  }

  private forget(rowid: number, layer: string, oldVec: Float32Array): void {
    const gens = this.gensOf(layer);
    if (gens.length === 0) return;
    const unit = unitCopy(oldVec, 0, this.dim);
    for (const g of gens) {
      this.s.insertTomb.run(g.gen, nearest(g.centroids, g.nlist, unit, 0, this.dim), rowid);
      this.s.deleteDelta.run(g.gen, rowid);
    }
  }

  /** After a committed write: fold a large delta soon, maybe train, and push idle maintenance back. */
  afterWrite(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    if (!this.pending) {
      this.pending = setImmediate(() => {
        this.pending = null;
        this.maintain(false);
      });
    }
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      this.idle = null;
      this.maintain(true);
    }, this.opts.idleMs);
  }

  /** One slice of maintenance; reschedules itself while work remains, so writes interleave with it. */
  private maintain(idle: boolean): void {
    // The connection may be closed under a timer already queued (a store closed without close() here, a test's
    // teardown): maintenance then simply stops.
    if (this.closed || !this.db.open) return;
    let more = false;
    for (const g of this.active.values()) {
      const delta = this.deltaSince.get(g.gen) ?? 0;
      if (delta > 0 && (idle || delta >= this.opts.deltaFold)) more = this.fold(g, 64) || more;
    }
    if (idle) more = this.dropRetired(64) || more;
    this.maybeTrain(idle);
    if (more && !this.pending) {
      this.pending = setImmediate(() => {
        this.pending = null;
        this.maintain(idle);
      });
    }
  }

  /**
   * Folds the delta and tombstones of up to `maxLists` lists of `g` into its cells, one transaction; returns whether
   * lists remain. Only cells holding a tombstoned row and a list's last, partial cell are rewritten.
   */
  fold(g: Gen, maxLists: number): boolean {
    const dim = this.dim;
    this.opts.onEvent?.(`fold ${g.layer} ${g.gen}`);
    const tx = this.db.transaction(() => {
      const lists = this.s.touchedLists.all(g.gen, g.gen).map((r) => r.list);
      for (const list of lists.slice(0, maxLists)) {
        const dead = new Set(this.s.tombsOf.all(g.gen, list).map((r) => r.rowid));
        const delta = this.s.deltaOf.all(g.gen, list);
        const cells = this.s.cellsOf.all(g.gen, list);
        let tail: { id: number; rowids: number[]; vecs: Float32Array[] } | null = null;
        cells.forEach((c, i) => {
          const rowids = rowidsOf(c.rowids);
          const vectors = floatsOf(c.vectors);
          let hit = false;
          for (const r of rowids) if (dead.has(r)) hit = true;
          const last = i === cells.length - 1;
          if (!hit && !(last && c.n < CELL_ROWS && delta.length > 0)) return;
          const keepR: number[] = [];
          const keepV: Float32Array[] = [];
          rowids.forEach((r, j) => {
            if (dead.has(r)) return;
            keepR.push(r);
            keepV.push(vectors.slice(j * dim, (j + 1) * dim));
          });
          if (last && c.n < CELL_ROWS && delta.length > 0) {
            tail = { id: c.id, rowids: keepR, vecs: keepV };
            return;
          }
          this.s.deleteCell.run(c.id);
          if (keepR.length > 0) this.putCell(g.gen, list, Float64Array.from(keepR), pack(keepV, dim));
        });
        const t = tail as { id: number; rowids: number[]; vecs: Float32Array[] } | null;
        const rowids = t ? t.rowids : [];
        const vecs = t ? t.vecs : [];
        for (const d of delta) {
          rowids.push(d.rowid);
          vecs.push(floatsOf(Buffer.from(d.vector)));
        }
        for (let at = 0; at < rowids.length; at += CELL_ROWS) {
          const r = Float64Array.from(rowids.slice(at, at + CELL_ROWS));
          const v = pack(vecs.slice(at, at + CELL_ROWS), dim);
          if (at === 0 && t) this.s.deleteCell.run(t.id);
          this.putCell(g.gen, list, r, v);
        }
        this.s.clearList.run(g.gen, list);
        this.s.clearTombs.run(g.gen, list);
      }
      const left = lists.length > maxLists;
      this.deltaSince.set(g.gen, left ? (this.s.deltaCount.get(g.gen)?.n ?? 0) : 0);
      return left;
    });
    return tx.immediate();
  }

  /**
   * Inside a transaction: a cell under a fresh id. A cell is never rewritten in place and an id never reused (the
   * counter is kept in store_meta, in the same transaction), so readers may cache a cell's contents by its id.
   */
  private putCell(gen: number, list: number, rowids: Float64Array, vectors: Float32Array): void {
    this.cellSeq++;
    this.s.insertCell.run(this.cellSeq, gen, list, rowids.length, blobOf(rowids), blobOf(vectors));
    this.s.putCellSeq.run(String(this.cellSeq));
  }

  /** Deletes the rows of retired generations, a bounded number of cells per transaction. */
  private dropRetired(maxCells: number): boolean {
    const gens = this.db
      .prepare<[], { gen: number }>("SELECT gen FROM ann_gens WHERE state = 'retired'")
      .all()
      .map((r) => r.gen);
    if (gens.length === 0) return false;
    const gen = gens[0] as number;
    const tx = this.db.transaction(() => {
      const n = this.db
        .prepare<[number, number]>('DELETE FROM ann_cells WHERE id IN (SELECT id FROM ann_cells WHERE gen = ? LIMIT ?)')
        .run(gen, maxCells).changes;
      if (n > 0) return true;
      this.db.prepare<[number]>('DELETE FROM ann_delta WHERE gen = ?').run(gen);
      this.db.prepare<[number]>('DELETE FROM ann_tombs WHERE gen = ?').run(gen);
      this.db.prepare<[number]>('DELETE FROM ann_gens WHERE gen = ?').run(gen);
      return gens.length > 1;
    });
    return tx.immediate();
  }

  /** Whether a layer's lists have drifted far from even (one list holding many times its share). */
  private skewed(g: Gen): boolean {
    const sizes = this.s.listSizes.all(g.gen).map((r) => r.s);
    if (sizes.length === 0) return false;
    const max = Math.max(...sizes);
    const mean = (this.rows.get(g.layer) ?? 0) / g.nlist;
    return max > 16 * CELL_ROWS && max > 10 * mean;
  }

  private maybeTrain(idle: boolean): void {
    if (this.trainer || !this.opts.trainerEntry || this.closed) return;
    for (const [layer, n] of this.rows) {
      if (n < this.opts.minRows) continue;
      const failed = this.failures.get(layer);
      // After a failed run, wait for the layer to grow by half or for a minute before trying again.
      if (failed && n < failed.rows * 1.5 && Date.now() - failed.at < 60_000) continue;
      const a = this.active.get(layer);
      const why = !a ? 'threshold' : n >= 2 * a.trainedRows ? 'doubled' : idle && this.skewed(a) ? 'skewed' : null;
      if (why) {
        this.startTrainer(layer, 'train', null, why);
        return;
      }
      // The self-check again at idle: never run (the process stopped after the swap), or the layer has changed by a
      // quarter since. It runs on the trainer thread too, reading its own snapshot.
      if (a && idle && (a.recall === null || Math.abs(n - a.checkedRows) > 0.25 * a.checkedRows)) {
        this.startTrainer(layer, 'check', a.gen, a.recall === null ? 'unchecked' : 'recheck');
        return;
      }
    }
  }

  private startTrainer(layer: string, mode: 'train' | 'check', gen: number | null, why: string): void {
    const n = this.rows.get(layer) ?? 0;
    const init: AnnTrainInit = {
      role: 'ann-train',
      file: this.file,
      layer,
      dim: this.dim,
      mode,
      ...(gen !== null && { gen }),
      nlist: listsFor(n),
      sample: this.opts.sample,
      iterations: this.opts.iterations,
      seed: this.opts.seed,
      checkQueries: this.opts.checkQueries,
      targetRecall: this.opts.targetRecall,
      busyTimeoutMs: this.opts.busyTimeoutMs,
      cancel: new SharedArrayBuffer(4),
    };
    const worker = new Worker(this.opts.trainerEntry as string | URL, {
      workerData: init,
      name: `strata-ann-${layer}`,
    });
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const t: Training = { layer, worker, mode, gen, done: false, cancel: new Int32Array(init.cancel), exited };
    this.trainer = t;
    this.threads.add(t);
    void exited.then(() => this.threads.delete(t));
    this.note(layer, `train (${why}, ${n} rows)`, gen);
    worker.on('message', (m: TrainerMessage) => {
      try {
        this.onTrainer(t, m);
      } catch (err) {
        this.abandon(t, `writer: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    worker.on('error', (err) => this.abandon(t, err.message));
    worker.on('exit', (code) => {
      if (!t.done) this.abandon(t, `trainer exited with code ${code}`);
    });
  }

  private post(t: Training, m: WriterMessage): void {
    t.worker.postMessage(m);
  }

  private onTrainer(t: Training, m: TrainerMessage): void {
    if (this.trainer !== t || this.closed) return;
    switch (m.type) {
      case 'centroids': {
        const gen = this.db
          .transaction(() => {
            const next =
              (this.db.prepare<[], { g: number | null }>('SELECT max(gen) AS g FROM ann_gens').get()?.g ?? 0) + 1;
            this.db
              .prepare(
                `INSERT INTO ann_gens(gen, layer, state, nlist, dim, centroids, trained_rows, created_at, nprobe)
               VALUES (?, ?, 'building', ?, ?, ?, ?, ?, ?)`,
              )
              .run(next, t.layer, m.nlist, this.dim, blobOf(m.centroids), m.rows, Date.now(), defaultNprobe(m.nlist));
            return next;
          })
          .immediate();
        t.gen = gen;
        this.building.set(t.layer, {
          gen,
          layer: t.layer,
          nlist: m.nlist,
          centroids: new Float32Array(m.centroids),
          trainedRows: m.rows,
          recall: null,
          checkedRows: 0,
        });
        this.note(t.layer, 'registered', gen);
        this.post(t, { type: 'registered', gen });
        return;
      }
      case 'cells': {
        if (m.gen !== t.gen) return;
        this.db
          .transaction(() => {
            for (const c of m.cells) {
              this.putCell(m.gen, c.list, c.rowids, c.vectors);
            }
          })
          .immediate();
        this.opts.onEvent?.(`cells ${t.layer} ${m.gen}`);
        this.post(t, { type: 'ack' });
        return;
      }
      case 'built': {
        const b = this.building.get(t.layer);
        if (!b || b.gen !== m.gen) return;
        // The swap: one transaction retires the old generation and activates the new one.
        this.opts.onEvent?.(`swapping ${t.layer} ${b.gen}`);
        this.db
          .transaction(() => {
            this.db.prepare("UPDATE ann_gens SET state = 'retired' WHERE layer = ? AND state = 'active'").run(t.layer);
            this.db
              .prepare("UPDATE ann_gens SET state = 'active', train_ms = ? WHERE gen = ?")
              .run(Math.round(m.trainMs), m.gen);
          })
          .immediate();
        this.building.delete(t.layer);
        // trainedRows stays the count the centroids were sized for: rows written during the build count as growth.
        this.active.set(t.layer, b);
        this.deltaSince.set(b.gen, this.s.deltaCount.get(b.gen)?.n ?? 0);
        this.note(t.layer, 'swapped', b.gen);
        if ((this.rows.get(t.layer) ?? 0) >= 2 * b.trainedRows) {
          // The layer doubled while this generation was built (an import): its self-check would measure an index
          // about to be replaced, and over the grown layer it can take minutes, holding the trainer slot so the
          // retraining waits behind it. Train again now; the next generation is checked.
          t.done = true;
          this.trainer = null;
          this.note(t.layer, 'unchecked (the layer doubled during the build)', b.gen);
          this.cancel(t);
          this.schedule();
          return;
        }
        this.post(t, { type: 'check', gen: b.gen });
        this.schedule();
        return;
      }
      case 'checked': {
        this.record(m.gen, m.check);
        t.done = true;
        this.trainer = null;
        this.note(t.layer, `checked: nprobe ${m.check.nprobe}, recall ${m.check.recall}`, m.gen);
        // The trainer's thread ends by itself after this message.
        this.schedule();
        return;
      }
      case 'failed':
        this.abandon(t, m.message);
        return;
    }
  }

  private record(gen: number, check: RecallCheck): void {
    const g = [...this.active.values()].find((x) => x.gen === gen);
    if (!g || check.queries === 0) return;
    const rows = this.rows.get(g.layer) ?? 0;
    this.db
      .prepare('UPDATE ann_gens SET nprobe = ?, recall = ?, checked_at = ?, checked_rows = ? WHERE gen = ?')
      .run(check.nprobe, check.recall, Date.now(), rows, gen);
    g.recall = check.recall;
    g.checkedRows = rows;
  }

  /** A trainer that failed or died: its half-built generation is retired (deleted at idle); exact search serves. */
  private abandon(t: Training, why: string): void {
    if (this.trainer !== t || t.done) return;
    t.done = true;
    this.trainer = null;
    this.note(t.layer, `failed: ${why}`, t.gen);
    this.failures.set(t.layer, { at: Date.now(), rows: this.rows.get(t.layer) ?? 0 });
    const b = this.building.get(t.layer);
    if (b && !this.closed && this.db.open) {
      this.db.prepare("UPDATE ann_gens SET state = 'retired' WHERE gen = ? AND state = 'building'").run(b.gen);
      this.building.delete(t.layer);
    }
    this.cancel(t);
    this.schedule();
  }

  /** Asks a trainer to stop at its next checkpoint (it then ends its thread itself); never terminates it. */
  private cancel(t: Training): void {
    Atomics.store(t.cancel, 0, 1);
    try {
      t.worker.postMessage({ type: 'cancel' } satisfies WriterMessage);
    } catch {
      // The thread has already ended.
    }
  }

  /** Inside the store's reset transaction: the vectors are going, so is every index over them. */
  reset(): void {
    this.stopTrainer();
    this.db.exec('DELETE FROM ann_cells; DELETE FROM ann_delta; DELETE FROM ann_tombs; DELETE FROM ann_gens;');
    this.active.clear();
    this.building.clear();
    this.rows.clear();
    this.deltaSince.clear();
  }

  private stopTrainer(): void {
    const t = this.trainer;
    if (!t) return;
    t.done = true;
    this.trainer = null;
    this.cancel(t);
  }

  /**
   * Settles once every trainer thread has ended: stopped ones end at their next checkpoint. Only a thread still
   * running after `boundMs` is terminated, as a last resort. The store worker awaits this before replying to close.
   */
  async stopped(boundMs = TRAINER_EXIT_MS): Promise<void> {
    const left = [...this.threads];
    if (left.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), boundMs);
    });
    const ended = await Promise.race([Promise.all(left.map((t) => t.exited)).then(() => 'ended' as const), late]);
    if (timer) clearTimeout(timer);
    if (ended === 'late') {
      this.forcedStops += left.length;
      await Promise.all(left.map((t) => t.worker.terminate()));
    }
  }

  /** Whether a trainer is running (tests and the benchmark wait for it to finish). */
  busy(): boolean {
    return this.trainer !== null;
  }

  states(): AnnLayerState[] {
    const rows = activeGenerations(this.db);
    const byLayer = new Map(rows.map((r) => [r.layer, r]));
    return [...this.rows.keys()].sort().map((layer) => {
      const r = byLayer.get(layer);
      return {
        layer,
        rows: this.rows.get(layer) ?? 0,
        gen: r?.gen ?? null,
        nlist: r?.nlist ?? 0,
        nprobe: r?.nprobe ?? 0,
        recall: r?.recall ?? null,
        trainedRows: r?.trained_rows ?? 0,
        trainMs: r?.train_ms ?? 0,
        deltaRows: r ? (this.s.deltaCount.get(r.gen)?.n ?? 0) : 0,
        training: this.trainer?.layer === layer,
      };
    });
  }

  close(): void {
    this.closed = true;
    if (this.idle) clearTimeout(this.idle);
    if (this.pending) clearImmediate(this.pending);
    this.idle = null;
    this.pending = null;
    this.stopTrainer();
  }
}

/** Before the self-check has measured one, probe about 3 % of the lists. */
export function defaultNprobe(nlist: number): number {
  return Math.max(4, Math.min(nlist, Math.ceil(nlist / 32)));
}

function pack(vecs: Float32Array[], dim: number): Float32Array {
  const out = new Float32Array(vecs.length * dim);
  vecs.forEach((v, i) => {
    out.set(v, i * dim);
  });
  return out;
}
