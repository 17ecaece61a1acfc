/**
 * The writer half of the IVF kill test (storage/ann/ann-crash.test.ts): run as a child process
 * (`node out/test-children/ann-crash-child.mjs <dataDir> <firstRowid> <count>`), it opens vector.db with the IVF index at a
 * low threshold and writes seeded clustered vectors in batches, then rewrites them in small batches, until killed. Lines on stdout (written synchronously,
 * so a SIGKILL never loses one already printed):
 *
 *   ACK <first> <last>   rows first..last are committed (the store's apply returned)
 *   DEL <rowid>          the delete of rowid is committed
 *   EV <event>           an index maintenance event (train, registered, cells, swapping, swapped, fold, checked)
 */
import { writeSync } from 'node:fs';
import type { StoreOp } from '../../src/main/engine/workers/protocol';
import { ANN_CHILD_DIM, clusteredVectors, openAnnWriter } from './vectors';

const say = (line: string) => writeSync(1, `${line}\n`);

async function main(): Promise<void> {
  const [dir, firstArg, countArg] = process.argv.slice(2);
  if (!dir) throw new Error('usage: ann-crash-child <dataDir> <firstRowid> <count>');
  const first = Number(firstArg ?? 1);
  const count = Number(countArg ?? 4000);
  const { store } = openAnnWriter(dir, ANN_CHILD_DIM, {
    minRows: 600,
    deltaFold: 60,
    idleMs: 30,
    sample: 3000,
    checkQueries: 40,
    onEvent: (e) => say(`EV ${e}`),
  });
  let seq = store.handlers.open({}).appliedSeq;
  const deleted = new Set<number>();
  const vecs = clusteredVectors(first + count, ANN_CHILD_DIM, 40, 11);
  for (let at = first; at < first + count; at += 50) {
    const n = Math.min(50, first + count - at);
    const op: StoreOp = {
      kind: 'upsert',
      seq: seq + 1,
      prevSeq: seq,
      items: Array.from({ length: n }, (_, i) => ({
        rowid: at + i,
        id: `c${at + i}`,
        layer: 'm0',
        kind: 'chunk',
        sessionId: 's',
        text: '',
      })),
      vectors: vecs.slice((at - 1) * ANN_CHILD_DIM, (at - 1 + n) * ANN_CHILD_DIM),
      nodes: [],
      links: [],
    };
    store.handlers.apply({ op });
    seq++;
    say(`ACK ${at} ${at + n - 1}`);
    if ((at - first) % 500 === 450) {
      const victim = at - 200;
      store.handlers.apply({ op: { kind: 'delete', seq: seq + 1, prevSeq: seq, itemRowids: [victim], nodeIds: [] } });
      seq++;
      deleted.add(victim);
      say(`DEL ${victim}`);
    }
    // Let the trainer's messages and idle folding interleave with the writes, as in the writer worker.
    await new Promise((r) => setTimeout(r, 5));
  }
  // Written everything. On a slow machine the first training may end only now, with no write left to fill the
  // delta that a fold needs: keep rewriting acknowledged rows (same ids, same vectors, so the test's expectations
  // hold) in small batches until killed, so every phase, the fold included, comes round however slow the machine.
  for (let round = 0; ; round++) {
    const start = first + ((round * 20) % Math.max(1, count - 20));
    const rows = Array.from({ length: 20 }, (_, i) => start + i).filter((r) => !deleted.has(r));
    const op: StoreOp = {
      kind: 'upsert',
      seq: seq + 1,
      prevSeq: seq,
      items: rows.map((rowid) => ({ rowid, id: `c${rowid}`, layer: 'm0', kind: 'chunk', sessionId: 's', text: '' })),
      vectors: Float32Array.from(rows.flatMap((r) => [...vecs.slice((r - 1) * ANN_CHILD_DIM, r * ANN_CHILD_DIM)])),
      nodes: [],
      links: [],
    };
    store.handlers.apply({ op });
    seq++;
    for (const r of rows) say(`ACK ${r} ${r}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

void main();
