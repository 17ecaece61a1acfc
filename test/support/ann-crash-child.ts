/**
 * The writer half of the IVF kill test (storage/ann/ann-crash.test.ts): run as a child process
 * (`node --import tsx ann-crash-child.ts <dataDir> <firstRowid> <count>`), it opens vector.db with the IVF index at a
 * low threshold and writes seeded clustered vectors in batches until killed. Lines on stdout (written synchronously,
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
  // After the first `count` rows it keeps writing, slowly, until killed: however long a training takes on a loaded
  // machine, writes land after its swap, so the delta fills and a fold follows.
  const tail = 20_000;
  const vecs = clusteredVectors(first + count + tail, ANN_CHILD_DIM, 40, 11);
  for (let at = first; at < first + count + tail; ) {
    const slow = at >= first + count;
    const n = slow ? 10 : Math.min(50, first + count - at);
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
    if (!slow && (at - first) % 500 === 450) {
      const victim = at - 200;
      store.handlers.apply({ op: { kind: 'delete', seq: seq + 1, prevSeq: seq, itemRowids: [victim], nodeIds: [] } });
      seq++;
      say(`DEL ${victim}`);
    }
    at += n;
    // Let the trainer's messages and idle folding interleave with the writes, as in the writer worker.
    await new Promise((r) => setTimeout(r, slow ? 200 : 5));
  }
  // Written everything: keep serving maintenance until killed.
  setInterval(() => undefined, 1000);
}

void main();
