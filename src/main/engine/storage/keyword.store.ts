/** keyword.db: FTS5 (porter unicode61) over item text, keyed by the journal's item rowid. */
import type { Handlers, StoreMethods } from '../workers/protocol';
import type { DB } from './sqlite';
import { storeHandlers } from './store-meta';

export function createKeywordStore(db: DB): Handlers<StoreMethods> {
  const insert = db.prepare<[number, string, string, string, string | null]>(
    'INSERT INTO fts_items(rowid, text, id, layer, session_id) VALUES (?, ?, ?, ?, ?)',
  );
  // FTS5 honours OR REPLACE on its rowid; it costs a lookup per row, so it is only the fallback for an update.
  const replace = db.prepare<[number, string, string, string, string | null]>(
    'INSERT OR REPLACE INTO fts_items(rowid, text, id, layer, session_id) VALUES (?, ?, ?, ?, ?)',
  );
  const upsert = {
    run: (rowid: number, text: string, id: string, layer: string, sessionId: string | null) => {
      try {
        return insert.run(rowid, text, id, layer, sessionId);
      } catch {
        return replace.run(rowid, text, id, layer, sessionId);
      }
    },
  };
  const remove = db.prepare<[number]>('DELETE FROM fts_items WHERE rowid = ?');
  const clear = db.prepare('DELETE FROM fts_items');

  return storeHandlers(db, 'keyword.db', {
    write: (op) => {
      let rows = 0;
      if (op.kind === 'upsert') {
        for (const it of op.items) rows += upsert.run(it.rowid, it.text, it.id, it.layer, it.sessionId).changes;
      } else {
        for (const rowid of op.itemRowids) rows += remove.run(rowid).changes;
      }
      return rows;
    },
    reset: () => {
      clear.run();
    },
  });
}
