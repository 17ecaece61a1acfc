import type { Migration } from './types';

/** FTS5 over item text, porter-stemmed, keyed by the journal's item rowid. */
export const keyword0001Fts5: Migration = {
  version: 1,
  name: 'keyword-0001-fts5',
  up(db) {
    db.exec(`
      CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO store_meta VALUES ('applied_seq', '0');
      CREATE VIRTUAL TABLE fts_items USING fts5(
        text,
        id UNINDEXED,
        layer UNINDEXED,
        session_id UNINDEXED,
        tokenize = 'porter unicode61'
      );
    `);
  },
};
