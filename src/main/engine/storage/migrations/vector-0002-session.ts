import type { Migration } from './types';

/**
 * vec_items gains the item's session as a vec0 metadata column, so a session filter applies during the KNN scan
 * rather than after it. The table is recreated empty and `applied_seq` goes back to 0, so the manager refills it
 * from the journal when it opens the store.
 */
export const vector0002Session: Migration = {
  version: 2,
  name: 'vector-0002-session',
  up(db, { dim }) {
    db.exec(`
      DROP TABLE vec_items;
      CREATE VIRTUAL TABLE vec_items USING vec0(
        layer TEXT PARTITION KEY,
        session_id TEXT,
        embedding float[${dim}] distance_metric=cosine
      );
      CREATE INDEX vec_ids_layer ON vec_ids(layer);
      UPDATE store_meta SET value = '0' WHERE key = 'applied_seq';
    `);
  },
};
