/** keyword.db: FTS5 (porter unicode61) over item text, keyed by the journal's item rowid. */
import type { Handlers, StoreMethods, StoreOp } from '../workers/protocol';
import { type DB, walPages } from './sqlite';
import { appliedSeq, outOfOrder } from './store-meta';

const FILE = 'keyword.db';

export function createKeywordStore(db: DB): Handlers<StoreMethods> {
  const seq = appliedSeq(db);
  // FTS5 honours OR REPLACE on its rowid, which makes the write an upsert.
  const upsert = db.prepare<[number, string, string, string, string | null]>(
    'INSERT OR REPLACE INTO fts_items(rowid, text, id, layer, session_id) VALUES (?, ?, ?, ?, ?)',
  );
  const remove = db.prepare<[number]>('DELETE FROM fts_items WHERE rowid = ?');

  const apply = db.transaction((op: StoreOp) => {
    const applied = seq.get();
    if (op.seq <= applied) return { appliedSeq: applied, rows: 0, skipped: true };
    if (op.prevSeq !== applied) throw outOfOrder(FILE, op, applied);
    let rows = 0;
    if (op.kind === 'upsert') {
      for (const item of op.items)
        rows += upsert.run(item.rowid, item.text, item.id, item.layer, item.sessionId).changes;
    } else {
      for (const rowid of op.itemRowids) rows += remove.run(rowid).changes;
    }
    seq.set(op.seq);
    return { appliedSeq: op.seq, rows, skipped: false };
  });

  return {
    open: () => ({ appliedSeq: seq.get() }),
    apply: ({ op }) => apply.immediate(op),
    checkpoint: () => ({ walPages: walPages(db) }),
    close: () => {
      db.close();
      return { closed: true };
    },
  };
}
