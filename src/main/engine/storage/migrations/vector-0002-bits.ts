import type { Migration } from './types';

/**
 * Search support: vec_items gains the session as a metadata column (filtered during the KNN scan, not after), and
 * vec_bits holds every vector quantised to one bit per dimension, the fast first pass for large layers (its
 * candidates are re-ranked with the journal's float vectors). Both tables are recreated empty and `applied_seq` goes
 * back to 0, so the manager refills them from the journal when it opens the store.
 */
export const vector0002Bits: Migration = {
  version: 2,
  name: 'vector-0002-bits',
  up(db, { dim }) {
    db.exec(`
      DROP TABLE vec_items;
      CREATE VIRTUAL TABLE vec_items USING vec0(
        layer TEXT PARTITION KEY,
        session_id TEXT,
        embedding float[${dim}] distance_metric=cosine
      );
      CREATE VIRTUAL TABLE vec_bits USING vec0(
        layer TEXT PARTITION KEY,
        session_id TEXT,
        embedding bit[${dim}]
      );
      UPDATE store_meta SET value = '0' WHERE key = 'applied_seq';
    `);
  },
};
