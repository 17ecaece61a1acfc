/**
 * The IVF index on real SQLite files with the real trainer worker (from the built store worker bundle): top-k
 * against exact search on a seeded clustered corpus, freshness of inserts, deletes, the session filter, and
 * writes and queries running while a training is under way. A low threshold keeps the corpora small.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../../../../test/support/fixtures';
import { clusteredVectors, openAnnStore } from '../../../../../test/support/vectors';
import type { Layer } from '../../../../shared/types';
import type { StoreOp } from '../../workers/protocol';
import { FILES, MIGRATIONS, PAGE_SIZE } from '../migrations';
import { createSearchReads } from '../search-reads';
import { type DB, migrate, openDatabase } from '../sqlite';
import type { VectorStore } from '../vector.store';
import { dot } from './kernel';
import { IvfReader } from './search';

const DIM = 32;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Fixture {
  dir: string;
  file: string;
  db: DB;
  store: VectorStore;
  seq: number;
  reader: DB;
}

function open(dir: string, minRows: number, onEvent?: (event: string) => void): Fixture {
  const { file, db, store, reader } = openAnnStore(dir, DIM, {
    minRows,
    idleMs: 50,
    deltaFold: 200,
    checkQueries: 60,
    sample: 4000,
    ...(onEvent && { onEvent }),
  });
  const seq = Number(store.handlers.open({}).appliedSeq);
  const f = { dir, file, db, store, seq, reader };
  cleanups.push(async () => {
    if (db.open) store.handlers.close({});
    await store.ann.stopped();
    reader.close();
  });
  return f;
}

function upsert(
  f: Fixture,
  first: number,
  vecs: Float32Array,
  layer: Layer = 'm0',
  session = (i: number) => `s${i % 4}`,
) {
  const n = vecs.length / DIM;
  const op: StoreOp = {
    kind: 'upsert',
    seq: f.seq + 1,
    prevSeq: f.seq,
    items: Array.from({ length: n }, (_, i) => ({
      rowid: first + i,
      id: `c${first + i}`,
      layer,
      kind: 'chunk',
      sessionId: session(first + i),
      text: '',
    })),
    vectors: vecs,
    nodes: [],
    links: [],
  };
  f.store.handlers.apply({ op });
  f.seq++;
}

function remove(f: Fixture, rowids: number[]) {
  f.store.handlers.apply({
    op: { kind: 'delete', seq: f.seq + 1, prevSeq: f.seq, itemRowids: rowids, nodeIds: [] },
  });
  f.seq++;
}

/** Exact top k by dot product over `vecs` whose rowids start at `first`, skipping `skip`. */
function exactTop(vecs: Float32Array, first: number, q: Float32Array, k: number, skip = new Set<number>()): number[] {
  const scored: [number, number][] = [];
  for (let i = 0; i < vecs.length / DIM; i++) {
    if (skip.has(first + i)) continue;
    scored.push([dot(vecs, i * DIM, q, 0, DIM), first + i]);
  }
  return scored
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map((s) => s[1]);
}

const trained = (f: Fixture) => async () => {
  await waitFor(
    () => {
      const s = f.store.ann.states().find((x) => x.layer === 'm0');
      return !f.store.ann.busy() && s !== undefined && s.gen !== null && s.recall !== null;
    },
    'the index to be trained and self-checked',
    120_000,
  );
};

describe('IVF index', () => {
  it('trains past the threshold, self-checks its nprobe, and its top 10 matches exact search within the target', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const f = open(t.dir, 1000);
    // The same seed draws the same centres first, so the 50 points past the corpus are held-out queries from it.
    const all = clusteredVectors(3050, DIM, 40, 1);
    const vecs = all.subarray(0, 3000 * DIM);
    for (let i = 0; i < 3000; i += 500) upsert(f, 1 + i, vecs.subarray(i * DIM, (i + 500) * DIM));
    await trained(f)();
    const state = f.store.ann.states().find((s) => s.layer === 'm0');
    expect(state?.rows).toBe(3000);
    expect(state?.nlist).toBeGreaterThan(8);
    expect(state?.recall).toBeGreaterThanOrEqual(0.97);
    expect(state?.nprobe).toBeGreaterThanOrEqual(1);
    expect(state?.nprobe).toBeLessThanOrEqual(state?.nlist ?? 0);

    const ivf = new IvfReader(f.reader);
    const queries = all.subarray(3000 * DIM);
    let agree = 0;
    for (let i = 0; i < 50; i++) {
      const q = queries.slice(i * DIM, (i + 1) * DIM);
      const got = ivf.search('m0', q, 10)?.map((h) => h.rowid) ?? [];
      const want = new Set(exactTop(vecs, 1, q, 10));
      agree += got.filter((r) => want.has(r)).length;
    }
    expect(agree / 500).toBeGreaterThanOrEqual(0.95);
  }, 180_000);

  it('finds an insert at once, never returns a delete, and keeps the session filter', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const f = open(t.dir, 1000);
    const vecs = clusteredVectors(2000, DIM, 30, 3);
    upsert(f, 1, vecs);
    await trained(f)();
    const others = (['core', 'keyword', 'graph'] as const).map((role) => {
      const file = join(t.dir, FILES[role]);
      const db = openDatabase(file, {
        readonly: false,
        busyTimeoutMs: 5000,
        pageSize: PAGE_SIZE[role],
        loadVec: false,
        synchronous: 'NORMAL',
      });
      migrate(db, file, MIGRATIONS[role], { dim: DIM });
      cleanups.push(() => {
        db.close();
      });
      return db;
    });
    const [core, keyword, graph] = others as [DB, DB, DB];
    const search = createSearchReads({ core, vector: f.reader, keyword, graph });
    const ivf = new IvfReader(f.reader);

    // A fresh vector is its own nearest neighbour straight after its write (it sits in the delta).
    const fresh = clusteredVectors(1, DIM, 1, 99);
    upsert(f, 5001, fresh);
    expect(ivf.search('m0', fresh, 1)?.[0]?.rowid).toBe(5001);
    expect(search.vectorSearch({ vector: fresh, layers: ['m0'], limit: 1 }).hits[0]?.id).toBe('c5001');

    // Deleted rows (packed in cells) are never returned, before or after the delta is folded.
    const q = vecs.slice(0, DIM);
    const before = ivf.search('m0', q, 10)?.map((h) => h.rowid) ?? [];
    expect(before[0]).toBe(1);
    remove(f, before.slice(0, 5));
    const after = ivf.search('m0', q, 10)?.map((h) => h.rowid) ?? [];
    for (const r of before.slice(0, 5)) expect(after).not.toContain(r);
    await waitFor(() => f.store.ann.states()[0]?.deltaRows === 0, 'the delta to be folded at idle', 30_000);
    const folded = ivf.search('m0', q, 10)?.map((h) => h.rowid) ?? [];
    for (const r of before.slice(0, 5)) expect(folded).not.toContain(r);
    expect(ivf.search('m0', fresh, 1)?.[0]?.rowid).toBe(5001);

    // A replaced vector is found at its new place and not at its old one.
    upsert(
      f,
      1000,
      fresh.map((x) => -x),
      'm0',
      () => 's1',
    );
    const old = vecs.slice(999 * DIM, 1000 * DIM);
    expect(ivf.search('m0', old, 5)?.map((h) => h.rowid)).not.toContain(1000);
    expect(
      ivf.search(
        'm0',
        fresh.map((x) => -x),
        1,
      )?.[0]?.rowid,
    ).toBe(1000);

    // Session filters: a broad one (three of four sessions) goes through the index, a narrow one (30 rows of a rare
    // session) through vec0's filtered scan; both return only rows of the sessions asked for.
    upsert(f, 7001, clusteredVectors(30, DIM, 30, 3), 'm0', () => 'rare');
    const sessionOf = (id: string) => (Number(id.slice(1)) > 7000 ? 'rare' : `s${Number(id.slice(1)) % 4}`);
    for (const sessions of [['s0', 's1', 's2'], ['rare']]) {
      const hits = search.vectorSearch({ vector: q, layers: ['m0'], sessionIds: sessions, limit: 20 }).hits;
      expect(hits.length).toBe(20);
      for (const h of hits) expect(sessions).toContain(sessionOf(h.id));
    }
    // Layer filter: no m1 rows exist, so asking for m1 alone finds nothing.
    expect(search.vectorSearch({ vector: q, layers: ['m1'], limit: 5 }).hits).toEqual([]);
  }, 180_000);

  // "train": the trainer thread is still starting (loading its bundle); "registered": it is assigning and packing
  // cells. Either way close() stops it by its flag and waits for its thread to end by itself (never terminate()).
  for (const phase of ['train', 'registered']) {
    it(`closing while the trainer is at "${phase}" ends its thread by itself, and the reopened store serves`, async () => {
      const t = tempDir();
      cleanups.push(t.cleanup);
      const vecs = clusteredVectors(6000, DIM, 40, 21);
      let hit: Promise<void> | null = null;
      let release: () => void = () => {};
      const reached = new Promise<void>((r) => {
        release = r;
      });
      const first = open(t.dir, 1000, (event) => {
        if (!hit && event.startsWith(`${phase} `)) hit = Promise.resolve().then(release);
      });
      upsert(first, 1, vecs);
      await reached;
      expect(first.store.ann.busy()).toBe(true);
      first.store.handlers.close({});
      await first.store.ann.stopped();
      expect(first.store.ann.forcedStops).toBe(0);
      expect(first.store.ann.busy()).toBe(false);
      first.reader.close();

      const f = open(t.dir, 1000);
      expect(f.db.prepare("SELECT count(*) AS n FROM ann_gens WHERE state IN ('building', 'active')").get()).toEqual({
        n: 0,
      });
      await trained(f)();
      const ivf = new IvfReader(f.reader);
      for (const i of [0, 1234, 5999]) {
        expect(ivf.search('m0', vecs.slice(i * DIM, (i + 1) * DIM), 1)?.[0]?.rowid).toBe(i + 1);
      }
    }, 240_000);
  }

  it('loses nothing when writes and queries run while the trainer builds and swaps in a new generation', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const f = open(t.dir, 800);
    const vecs = clusteredVectors(3200, DIM, 40, 5);
    upsert(f, 1, vecs.subarray(0, 1000 * DIM));
    const ivf = new IvfReader(f.reader);
    const deleted = new Set<number>();
    let next = 1000;
    // Keep writing (and deleting) while the first training runs, the doubling retrains, and swaps happen.
    while (next < 3200) {
      const end = Math.min(3200, next + 100);
      upsert(f, 1 + next, vecs.subarray(next * DIM, end * DIM));
      remove(f, [next - 500, next - 250]);
      deleted.add(next - 500).add(next - 250);
      next = end;
      const probe = vecs.slice((next - 1) * DIM, next * DIM);
      const hit = ivf.search('m0', probe, 1);
      if (hit) expect(hit[0]?.rowid).toBe(next);
      await new Promise((r) => setTimeout(r, 20));
    }
    await trained(f)();
    await waitFor(
      () => {
        const s = f.store.ann.states()[0];
        return !f.store.ann.busy() && s !== undefined && s.rows < 2 * s.trainedRows && s.recall !== null;
      },
      'the doubled layer retrained',
      120_000,
    );
    // Every live row is its own nearest neighbour through the index, at a generous nprobe; no deleted row appears.
    const live = 3200 - deleted.size;
    expect(f.store.ann.states()[0]?.rows).toBe(live);
    let found = 0;
    for (let i = 0; i < 3200; i++) {
      const q = vecs.slice(i * DIM, (i + 1) * DIM);
      const top = ivf.search('m0', q, 3, { nprobe: 64 })?.map((h) => h.rowid) ?? [];
      for (const r of top) expect(deleted.has(r)).toBe(false);
      if (!deleted.has(i + 1) && top[0] === i + 1) found++;
    }
    expect(found).toBe(live);
    expect(f.store.ann.history.some((h) => h.event === 'swapped')).toBe(true);
  }, 240_000);

  it('a layer that doubles while its index is built is trained again at once, not self-checked first', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const events: string[] = [];
    const all = clusteredVectors(3000, DIM, 40, 3);
    let f: Fixture | null = null;
    let grown = false;
    f = open(t.dir, 1000, (e) => {
      events.push(e);
      // Between the first generation's registration and its cells: the layer grows from 1,200 rows to 3,000, as an
      // import would while the trainer runs. Written from the writer's own event, so the order is certain.
      if (!grown && f && e.startsWith('registered m0')) {
        grown = true;
        for (let i = 1200; i < 3000; i += 600) upsert(f, 1 + i, all.subarray(i * DIM, (i + 600) * DIM));
      }
    });
    for (let i = 0; i < 1200; i += 600) upsert(f, 1 + i, all.subarray(i * DIM, (i + 600) * DIM));
    const fx = f;
    await waitFor(
      () => {
        const s = fx.store.ann.states().find((x) => x.layer === 'm0');
        return !fx.store.ann.busy() && s !== undefined && s.recall !== null && s.trainedRows >= 2400;
      },
      'the retrained index to be self-checked',
      120_000,
    );
    const first = events.find((e) => e.startsWith('registered m0'))?.split(' ')[2];
    expect(grown).toBe(true);
    // The first generation was swapped in and left unchecked; the second was trained on the grown layer and checked.
    expect(events).toContain(`swapped m0 ${first}`);
    expect(events).toContain(`unchecked m0 ${first}`);
    expect(events.some((e) => e.startsWith('checked: m0') && e !== `checked: m0 ${first}`)).toBe(true);
    expect(events).not.toContain(`checked: m0 ${first}`);
    const s = fx.store.ann.states().find((x) => x.layer === 'm0');
    expect(s?.gen).toBeGreaterThan(Number(first));
    expect(s?.trainedRows).toBe(3000);
  }, 240_000);
});
