/**
 * The IVF reader's cell cache on a real trained index (real files, the real trainer worker): a cache far smaller
 * than the probed lists answers exactly what a cache holding the whole index answers (a miss is scored from the
 * float cell, never quantised on the query's path), admission happens only after the query, a full cache gives up
 * at most EVICTIONS_PER_ADMIT cells per round, and a write committed by the writer is seen by the next query.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../../../../test/support/fixtures';
import { clusteredVectors, openAnnStore } from '../../../../../test/support/vectors';
import { CELL_ROWS } from './protocol';
import { EVICTIONS_PER_ADMIT, IvfReader } from './search';

const DIM = 32;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('IVF cell cache', () => {
  it('answers the same with a cache of two cells as with one holding the whole index, and admits off the query', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const { db, store, reader } = openAnnStore(t.dir, DIM, {
      minRows: 1000,
      idleMs: 50,
      deltaFold: 200,
      checkQueries: 60,
      sample: 4000,
    });
    cleanups.push(async () => {
      if (db.open) store.handlers.close({});
      await store.ann.stopped();
      reader.close();
    });
    let seq = Number(store.handlers.open({}).appliedSeq);
    const all = clusteredVectors(3040, DIM, 40, 5);
    const write = (first: number, vecs: Float32Array) => {
      const n = vecs.length / DIM;
      store.handlers.apply({
        op: {
          kind: 'upsert',
          seq: seq + 1,
          prevSeq: seq,
          items: Array.from({ length: n }, (_, i) => ({
            rowid: first + i,
            id: `c${first + i}`,
            layer: 'm0' as const,
            kind: 'chunk',
            sessionId: 's',
            text: '',
          })),
          vectors: vecs,
          nodes: [],
          links: [],
        },
      });
      seq++;
    };
    for (let i = 0; i < 3000; i += 500) write(1 + i, all.subarray(i * DIM, (i + 500) * DIM));
    await waitFor(
      () => {
        const s = store.ann.states().find((x) => x.layer === 'm0');
        return !store.ann.busy() && s?.gen !== null && s?.recall !== null && s?.deltaRows === 0;
      },
      'the index to be trained, self-checked and folded',
      120_000,
    );

    const big = new IvfReader(reader);
    const twoCells = 2 * CELL_ROWS * DIM * 2;
    const small = new IvfReader(reader, twoCells);
    const none = new IvfReader(reader, 0);
    const queries = Array.from({ length: 40 }, (_, i) => all.slice((3000 + i) * DIM, (3001 + i) * DIM));
    const nprobe = Math.max(4, big.index('m0')?.nprobe ?? 4);
    const ask = (r: IvfReader, q: Float32Array) => r.search('m0', q, 10, { nprobe }) ?? [];

    // A first pass fills the big cache (admitted after each query), so the second pass is all hits.
    for (const q of queries) {
      ask(big, q);
      big.admitPending();
    }
    const hitsBefore = big.cellReads.hits;
    const missesBefore = big.cellReads.misses;
    const want = queries.map((q) => ask(big, q));
    expect(big.index('m0')?.nlist).toBeGreaterThan(nprobe);
    for (const w of want) expect(w.length).toBe(10);
    expect(big.cellReads.misses).toBe(missesBefore);
    expect(big.cellReads.hits).toBeGreaterThan(hitsBefore);

    for (const r of [small, none]) {
      queries.forEach((q, i) => {
        const before = r.cacheState().cells;
        const got = ask(r, q);
        // Nothing is quantised while the query runs: its misses wait for admission.
        expect(r.cacheState().cells).toBe(before);
        expect(got.map((h) => h.rowid)).toEqual(want[i]?.map((h) => h.rowid));
        for (const [j, h] of got.entries()) expect(h.score).toBeCloseTo(want[i]?.[j]?.score as number, 3);
        const cachedBefore = new Set(r.cachedCellIds());
        r.admitPending();
        // A full cache gives up at most EVICTIONS_PER_ADMIT cells per round, and never holds more than it can.
        const lost = [...cachedBefore].filter((id) => !r.cachedCellIds().includes(id)).length;
        expect(lost).toBeLessThanOrEqual(EVICTIONS_PER_ADMIT);
        expect(r.cacheState().pending).toBe(0);
      });
    }
    expect(small.cacheState().cells).toBeGreaterThan(0);
    expect(small.cacheState().cells).toBeLessThanOrEqual(2);
    expect(none.cacheState().cells).toBe(0);

    // A write the writer commits is seen by the next query of a reader that has its lists in memory.
    const fresh = all.slice(0, DIM).map((x, d) => (d === 0 ? x + 0.01 : x));
    write(9001, fresh);
    expect(ask(big, fresh)[0]?.rowid).toBe(9001);
  }, 180_000);
});
