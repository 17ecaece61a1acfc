/**
 * The IVF trainer: a worker thread the vector writer starts for one layer. On its own read-only connection it
 * samples the layer's vectors, trains spherical k-means centroids, hands them to the writer (which registers a
 * generation being built and files every later write in it too), then from one snapshot assigns every vector to its
 * list and sends the packed cells in acknowledged batches, so neither thread holds more than a bounded slice.
 * After the writer's swap it runs the recall self-check: stored vectors as queries, exact top 10 by sqlite-vec
 * against the index at a ladder of nprobe values; the smallest nprobe reaching the target is recorded.
 */
import { parentPort } from 'node:worker_threads';
import { rng } from '../../../../shared/rng';
import { openDatabase } from '../sqlite';
import { floatsOf, nearestLists, nearestVia, normalizeInPlace, RowScorer, unitCopy } from './kernel';
import { listsFor, trainCentroids } from './kmeans';
import {
  type AnnTrainInit,
  CELL_ROWS,
  type PackedCell,
  type RecallCheck,
  type TrainerMessage,
  type WriterMessage,
} from './protocol';
import { IvfReader } from './search';

/** Bytes of vectors one packing pass holds; larger layers take several passes over the snapshot. */
const PASS_BYTES = 256 * 1024 * 1024;
/** Bytes of cells per message to the writer (each written in one transaction, then acknowledged). */
const BATCH_BYTES = 4 * 1024 * 1024;
/**
 * The self-check reader keeps no cell cache: each check query probes most lists, so a cache would only thrash, and
 * a missed cell is scored from its floats as read (exact, nothing quantised).
 */
const SELF_CHECK_CACHE_BYTES = 0;

/** Thrown at a checkpoint once the writer has asked the trainer to stop. */
class Cancelled extends Error {}

export function runTrainer(init: AnnTrainInit): void {
  const port = parentPort;
  if (!port) throw new Error('the ann trainer must run as a worker thread');
  const flag = new Int32Array(init.cancel);
  const checkpoint = (): void => {
    if (Atomics.load(flag, 0) !== 0) throw new Cancelled('cancelled');
  };
  const inbox: WriterMessage[] = [];
  let waiting: ((m: WriterMessage) => void) | null = null;
  port.on('message', (m: WriterMessage) => {
    if (waiting) {
      const w = waiting;
      waiting = null;
      w(m);
    } else inbox.push(m);
  });
  const next = async (): Promise<WriterMessage> => {
    const m =
      inbox.shift() ??
      (await new Promise<WriterMessage>((resolve) => {
        waiting = resolve;
      }));
    checkpoint();
    return m;
  };
  const send = (m: TrainerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  let opened: ReturnType<typeof openDatabase> | null = null;

  const run = async () => {
    const db = openDatabase(init.file, {
      readonly: true,
      busyTimeoutMs: init.busyTimeoutMs,
      pageSize: 0,
      loadVec: true,
      synchronous: 'NORMAL',
    });
    opened = db;
    const { dim, layer } = init;
    let gen = init.gen ?? 0;
    let rows = 0;
    let trainMs = 0;
    if (init.mode === 'train') {
      const t0 = performance.now();
      const scan = db.prepare<[string], { rowid: number; embedding: Buffer }>(
        'SELECT rowid, embedding FROM vec_items WHERE layer = ?',
      );
      // Reservoir sample, seeded: the same vectors train the same centroids.
      const rand = rng(init.seed);
      const sample = new Float32Array(init.sample * dim);
      let seen = 0;
      for (const r of scan.iterate(layer)) {
        if ((seen & 255) === 0) checkpoint();
        const slot = seen < init.sample ? seen : Math.floor(rand() * (seen + 1));
        seen++;
        if (slot >= init.sample) continue;
        sample.set(floatsOf(r.embedding).subarray(0, dim), slot * dim);
        normalizeInPlace(sample, slot * dim, dim);
      }
      const n = Math.min(seen, init.sample);
      // Lists for the rows there are now (the layer may have grown since the writer asked).
      const nlist = Math.min(Math.max(init.nlist, listsFor(seen)), n);
      const centroids = trainCentroids(sample.subarray(0, n * dim), n, {
        nlist,
        dim,
        iterations: init.iterations,
        seed: init.seed,
        checkpoint,
      });
      send({ type: 'centroids', centroids, nlist, rows: seen, trainMs: performance.now() - t0 }, [
        centroids.buffer as ArrayBuffer,
      ]);
      const reg = await next();
      if (reg.type !== 'registered') throw new Error(`expected registered, got ${reg.type}`);
      gen = reg.gen;
      const mine = floatsOf(
        Buffer.from(
          db.prepare<[number], { c: Buffer }>('SELECT centroids AS c FROM ann_gens WHERE gen = ?').get(gen)?.c ??
            Buffer.alloc(0),
        ),
      );
      if (mine.length !== nlist * dim) throw new Error('registered generation has other centroids');

      // One snapshot for the assignment and every packing pass: begun after the registration committed, so a
      // vector written later is either in this snapshot (and tombstoned by the writer) or only in the delta.
      db.exec('BEGIN');
      try {
        const ids: number[] = [];
        const lists: number[] = [];
        const sizes = new Int32Array(nlist);
        const scratch = new Float32Array(dim);
        const scorer = new RowScorer();
        scorer.load(mine, 0, nlist, dim);
        for (const r of scan.iterate(layer)) {
          if ((ids.length & 1023) === 0) checkpoint();
          scratch.set(floatsOf(r.embedding).subarray(0, dim));
          normalizeInPlace(scratch, 0, dim);
          const l = nearestVia(scorer, mine, nlist, scratch, 0, dim);
          ids.push(r.rowid);
          lists.push(l);
          sizes[l] = (sizes[l] as number) + 1;
        }
        rows = ids.length;
        // Passes over ranges of lists, each holding at most PASS_BYTES of vectors.
        const ranges: [number, number][] = [];
        let from = 0;
        let bytes = 0;
        for (let l = 0; l < nlist; l++) {
          const b = (sizes[l] as number) * dim * 4;
          if (bytes + b > PASS_BYTES && l > from) {
            ranges.push([from, l]);
            from = l;
            bytes = 0;
          }
          bytes += b;
        }
        ranges.push([from, nlist]);
        const listOf = new Map<number, number>();
        ids.forEach((id, i) => {
          listOf.set(id, lists[i] as number);
        });
        for (const [lo, hi] of ranges) {
          const bufs = new Map<number, { rowids: number[]; vecs: Float32Array }>();
          for (let l = lo; l < hi; l++) bufs.set(l, { rowids: [], vecs: new Float32Array((sizes[l] as number) * dim) });
          let scanned = 0;
          for (const r of scan.iterate(layer)) {
            if ((scanned++ & 1023) === 0) checkpoint();
            const l = listOf.get(r.rowid);
            if (l === undefined || l < lo || l >= hi) continue;
            const b = bufs.get(l);
            if (!b) continue;
            const v = unitCopy(floatsOf(r.embedding), 0, dim);
            b.vecs.set(v, b.rowids.length * dim);
            b.rowids.push(r.rowid);
          }
          let batch: PackedCell[] = [];
          let batchBytes = 0;
          const flush = async () => {
            if (batch.length === 0) return;
            const transfer = batch.flatMap((c) => [c.rowids.buffer as ArrayBuffer, c.vectors.buffer as ArrayBuffer]);
            send({ type: 'cells', gen, cells: batch }, transfer);
            batch = [];
            batchBytes = 0;
            const ack = await next();
            if (ack.type !== 'ack') throw new Error(`expected ack, got ${ack.type}`);
          };
          for (let l = lo; l < hi; l++) {
            const b = bufs.get(l);
            if (!b) continue;
            for (let at = 0; at < b.rowids.length; at += CELL_ROWS) {
              const end = Math.min(b.rowids.length, at + CELL_ROWS);
              batch.push({
                list: l,
                rowids: Float64Array.from(b.rowids.slice(at, end)),
                vectors: b.vecs.slice(at * dim, end * dim),
              });
              batchBytes += (end - at) * dim * 4;
              if (batchBytes >= BATCH_BYTES) await flush();
            }
            bufs.delete(l);
          }
          await flush();
        }
      } finally {
        db.exec('COMMIT');
      }
      trainMs = performance.now() - t0;
      send({ type: 'built', gen, rows, trainMs });
      const go = await next();
      if (go.type !== 'check') throw new Error(`expected check, got ${go.type}`);
      gen = go.gen;
    }
    const check = selfCheck(db, init, gen, checkpoint);
    send({ type: 'checked', gen, check });
  };
  // Started on the next turn, so the store worker's own message listener is attached before the run can end (and
  // removed with it below: nothing then keeps this thread's event loop alive).
  setImmediate(() => {
    run()
      .catch((err: unknown) => {
        // A cancelled run says nothing: the writer has stopped listening.
        if (!(err instanceof Cancelled)) {
          send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
        }
      })
      .finally(() => {
        // The thread ends on its own once its connection is closed and nothing listens: never terminated.
        try {
          const db = opened as ReturnType<typeof openDatabase> | null;
          if (db?.open) {
            if (db.inTransaction) db.exec('ROLLBACK');
            db.close();
          }
        } finally {
          port.removeAllListeners('message');
          port.unref();
        }
      });
  });
}

/** nprobe values tried by the self-check, up to the list count. */
function ladder(nlist: number): number[] {
  const steps = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256];
  const out = steps.filter((s) => s < nlist);
  out.push(Math.min(nlist, 256));
  return [...new Set(out)];
}

/**
 * Recall@10 of the index against exact search, each query a stored vector (itself left out of both lists), at
 * every nprobe of the ladder; returns the rung above the smallest nprobe reaching the target (or the largest tried).
 */
export function selfCheck(
  db: ReturnType<typeof openDatabase>,
  init: AnnTrainInit,
  gen: number,
  checkpoint: () => void = () => {},
): RecallCheck {
  const { dim, layer } = init;
  const reader = new IvfReader(db, SELF_CHECK_CACHE_BYTES);
  const run = db.transaction((): RecallCheck => {
    const ix = reader.index(layer);
    if (!ix || ix.gen !== gen) return { nprobe: 0, recall: 0, queries: 0, curve: [] };
    const rowids = db
      .prepare<[string], { rowid: number }>('SELECT rowid FROM vec_ids WHERE layer = ? ORDER BY rowid')
      .all(layer)
      .map((r) => r.rowid);
    const rand = rng(init.seed + gen);
    const picks = new Set<number>();
    const want = Math.min(init.checkQueries, rowids.length);
    while (picks.size < want) picks.add(rowids[Math.floor(rand() * rowids.length)] as number);
    const vecOf = db.prepare<[number], { embedding: Buffer }>('SELECT embedding FROM vec_items WHERE rowid = ?');
    const knn = db.prepare<[Buffer, number, string], { rowid: number }>(
      'SELECT rowid FROM vec_items WHERE embedding MATCH ? AND k = ? AND layer = ?',
    );
    const steps = ladder(ix.nlist);
    const found = new Map<number, number>(steps.map((s) => [s, 0]));
    let total = 0;
    for (const id of picks) {
      checkpoint();
      const raw = vecOf.get(id)?.embedding;
      if (!raw) continue;
      const q = unitCopy(floatsOf(Buffer.from(raw)), 0, dim);
      const exact = knn
        .all(raw, 11, layer)
        .map((r) => r.rowid)
        .filter((r) => r !== id)
        .slice(0, 10);
      if (exact.length === 0) continue;
      total += exact.length;
      const truth = new Set(exact);
      const maxProbe = steps[steps.length - 1] as number;
      const lists = nearestLists(ix.centroids, ix.nlist, q, dim, maxProbe, ix.centroidScorer);
      let si = 0;
      reader.scan(
        ix,
        q,
        lists,
        11,
        (r) => r !== id,
        (scanned, top) => {
          while (si < steps.length && steps[si] === scanned) {
            const got = top
              .sorted()
              .slice(0, 10)
              .filter((e) => truth.has(e.id)).length;
            const s = steps[si] as number;
            found.set(s, (found.get(s) ?? 0) + got);
            si++;
          }
        },
      );
    }
    const curve = steps.map((s) => ({
      nprobe: s,
      recall: total ? Number(((found.get(s) ?? 0) / total).toFixed(4)) : 0,
    }));
    // The smallest nprobe reaching the target, then one rung up: stored vectors as queries overstate the recall of
    // queries unlike any stored row (bench:query's questions at 100k: 0.945 where this check measured 0.9775).
    const at = curve.findIndex((c) => c.recall >= init.targetRecall);
    const pick = curve[at < 0 ? curve.length - 1 : Math.min(at + 1, curve.length - 1)] ?? { nprobe: 1, recall: 0 };
    return { nprobe: pick.nprobe, recall: pick.recall, queries: picks.size, curve };
  });
  return run();
}
