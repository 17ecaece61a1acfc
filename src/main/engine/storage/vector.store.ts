/**
 * vector.db: one vec0 row per item (float32, the engine's dimension), keyed by
 * the journal's item rowid and partitioned by layer, its session a metadata column (filtered during the KNN scan);
 * `vec_ids` maps rowids to item ids. The IVF index over the same vectors (ann/) is kept in the same transactions,
 * so it can never disagree with them; vec0 stays the exact fallback and the source every index is rebuilt from.
 */
import type { Handlers, StoreMethods } from '../workers/protocol';
import { type AnnOptions, AnnWriter, defaultAnnOptions } from './ann/writer';
import type { DB } from './sqlite';
import { storeHandlers } from './store-meta';

export interface VectorStore {
  handlers: Handlers<StoreMethods>;
  ann: AnnWriter;
}

export function createVectorStore(
  db: DB,
  dim: number,
  opts: { file?: string; ann?: Partial<AnnOptions> } = {},
): Handlers<StoreMethods> {
  return openVectorStore(db, dim, opts).handlers;
}

export function openVectorStore(
  db: DB,
  dim: number,
  opts: { file?: string; ann?: Partial<AnnOptions> } = {},
): VectorStore {
  const insertVec = db.prepare<[bigint, string, string, Float32Array]>(
    'INSERT INTO vec_items(rowid, layer, session_id, embedding) VALUES (?, ?, ?, ?)',
  );
  const deleteVec = db.prepare<[bigint]>('DELETE FROM vec_items WHERE rowid = ?');
  const vecOf = db.prepare<[bigint], { embedding: Buffer }>('SELECT embedding FROM vec_items WHERE rowid = ?');
  const layerOf = db.prepare<[number], { layer: string }>('SELECT layer FROM vec_ids WHERE rowid = ?');

  const upsertId = db.prepare<[number, string, string, string | null]>(
    `INSERT INTO vec_ids(rowid, id, layer, session_id) VALUES (?, ?, ?, ?)
     ON CONFLICT(rowid) DO UPDATE SET id = excluded.id, layer = excluded.layer, session_id = excluded.session_id`,
  );
  const deleteId = db.prepare<[number]>('DELETE FROM vec_ids WHERE rowid = ?');

  const ann = new AnnWriter(db, dim, opts.file ?? db.name, defaultAnnOptions(opts.ann));
  // The vector a write replaces, read only when an index files it (its cell copy must be tombstoned).
  const previous = (rowid: number): { layer: string; vec: Float32Array | null } | null => {
    const layer = layerOf.get(rowid)?.layer;
    if (layer === undefined) return null;
    if (!ann.indexed(layer)) return { layer, vec: null };
    const blob = vecOf.get(BigInt(rowid))?.embedding;
    return { layer, vec: blob ? new Float32Array(new Uint8Array(blob).buffer) : null };
  };

  const handlers = storeHandlers(db, 'vector.db', {
    write: (op) => {
      let rows = 0;
      if (op.kind === 'upsert') {
        const vectors = op.vectors ?? new Float32Array(0);
        op.items.forEach((item, i) => {
          const key = BigInt(item.rowid);
          const vec = vectors.subarray(i * dim, (i + 1) * dim);
          // vec0 metadata cannot be NULL: an item of no session (an entity) is filed under ''.
          const session = item.sessionId ?? '';
          const old = previous(item.rowid);
          upsertId.run(item.rowid, item.id, item.layer, item.sessionId);
          // vec0 has no UPSERT: an item written again (an update, or a replay) replaces its rows.
          if (old) deleteVec.run(key);
          try {
            insertVec.run(key, item.layer, session, vec);
          } catch {
            // A vec0 row without its vec_ids row (written before the two were kept together): replace it.
            deleteVec.run(key);
            insertVec.run(key, item.layer, session, vec);
          }
          ann.onUpsert(item.rowid, item.layer, vec, old);
          rows++;
        });
      } else {
        for (const rowid of op.itemRowids) {
          const old = previous(rowid);
          rows += deleteVec.run(BigInt(rowid)).changes;
          deleteId.run(rowid);
          if (old) ann.onDelete(rowid, old.layer, old.vec);
        }
      }
      ann.afterWrite();
      return rows;
    },
    reset: () => {
      db.exec('DELETE FROM vec_items; DELETE FROM vec_ids;');
      ann.reset();
    },
  });
  const close = handlers.close;
  handlers.close = (params) => {
    ann.close();
    return close(params);
  };
  return { handlers, ann };
}
