import type { Migration } from './types';

/**
 * FTS5 prefix indexes for the first 2, 3 and 4 characters of every term, so search as you type ("sup" → "support")
 * reads one list instead of merging the lists of every term starting with those letters (at 100,000 items "caroline
 * res…" took 20-34 ms and "going…" 10-18 ms that way; with the index under a millisecond). Two characters as well:
 * porter stems the typed prefix too ("res" → "re", "going" → "go"), so a three-letter prefix is often a two-letter
 * one. FTS5 takes `prefix` only when the table is created, so the table is rebuilt in place: a new table filled
 * from the old one (every row, rowid and column kept), the old dropped, the new renamed (FTS5 renames its shadow
 * tables). It runs inside the migration's one transaction, so a crash leaves the old table as it was; the old
 * table's pages go back to the file system (incremental vacuum; a no-op on a file without auto_vacuum, whose free
 * pages the table then reuses as it grows). Costs: the index grows by about two thirds and an insert does about
 * twice the work (measured in docs/notes/ui.md).
 */
export const keyword0003PrefixIndex: Migration = {
  version: 3,
  name: 'keyword-0003-prefix-index',
  up(db) {
    db.exec(`
      CREATE VIRTUAL TABLE fts_items_rebuilt USING fts5(
        text,
        id UNINDEXED,
        layer UNINDEXED,
        session_id UNINDEXED,
        tokenize = 'porter unicode61',
        prefix = '2 3 4'
      );
      INSERT INTO fts_items_rebuilt(rowid, text, id, layer, session_id)
        SELECT rowid, text, id, layer, session_id FROM fts_items ORDER BY rowid;
      DROP TABLE fts_items;
      ALTER TABLE fts_items_rebuilt RENAME TO fts_items;
      INSERT INTO fts_items(fts_items, rank) VALUES ('secure-delete', 1);
      PRAGMA incremental_vacuum;
    `);
  },
};
