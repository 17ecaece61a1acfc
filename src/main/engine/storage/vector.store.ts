/**
 * vector.db: one vec0 row per item (float32, the engine's dimension), keyed by
 * the journal's item rowid and partitioned by layer, its session a metadata column (filtered during the KNN scan);
 * `vec_ids` maps rowids to item ids.
 */
import type { Handlers, StoreMethods } from '../workers/protocol';
import type { DB } from './sqlite';
import { storeHandlers } from './store-meta';

export function createVectorStore(db: DB, dim: number): Handlers<StoreMethods> {
  const insertVec = db.prepare<[bigint, string, string, Float32Array]>(
    'INSERT INTO vec_items(rowid, layer, session_id, embedding) VALUES (?, ?, ?, ?)',
  );
  const deleteVec = db.prepare<[bigint]>('DELETE FROM vec_items WHERE rowid = ?');

  const upsertId = db.prepare<[number, string, string, string | null]>(
    `INSERT INTO vec_ids(rowid, id, layer, session_id) VALUES (?, ?, ?, ?)
     ON CONFLICT(rowid) DO UPDATE SET id = excluded.id, layer = excluded.layer, session_id = excluded.session_id`,
  );
  const deleteId = db.prepare<[number]>('DELETE FROM vec_ids WHERE rowid = ?');

  return storeHandlers(db, 'vector.db', {
    write: (op) => {
      let rows = 0;
      if (op.kind === 'upsert') {
        const vectors = op.vectors ?? new Float32Array(0);
        op.items.forEach((item, i) => {
          const key = BigInt(item.rowid);
          const vec = vectors.subarray(i * dim, (i + 1) * dim);
          // vec0 metadata cannot be NULL: an item of no session (an entity) is filed under ''.
          const session = item.sessionId ?? '';
          upsertId.run(item.rowid, item.id, item.layer, item.sessionId);
          // vec0 has no UPSERT: an item written again (an update, or a replay) replaces its rows.
          try {
            insertVec.run(key, item.layer, session, vec);
          } catch {
            deleteVec.run(key);
            insertVec.run(key, item.layer, session, vec);
          }
          rows++;
        });
      } else {
        for (const rowid of op.itemRowids) {
          rows += deleteVec.run(BigInt(rowid)).changes;
          deleteId.run(rowid);
        }
      }
      return rows;
    },
    reset: () => {
      db.exec('DELETE FROM vec_items; DELETE FROM vec_ids;');
    },
  });
}
