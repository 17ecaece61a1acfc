import type { Migration } from './types';

/** vec0 holds float32 vectors keyed by the journal's item rowid; `vec_ids` keeps the item's id beside it. */
export const vector0001Vec0: Migration = {
  version: 1,
  name: 'vector-0001-vec0',
  up(db, { dim }) {
    db.exec(`
      CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO store_meta VALUES ('applied_seq', '0'), ('dim', '${dim}');
      CREATE TABLE vec_ids (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        layer TEXT NOT NULL,
        session_id TEXT
      );
      CREATE VIRTUAL TABLE vec_items USING vec0(
        layer TEXT PARTITION KEY,
        embedding float[${dim}] distance_metric=cosine
      );
    `);
  },
};
