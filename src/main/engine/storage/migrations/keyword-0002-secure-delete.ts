import type { Migration } from './types';

/**
 * FTS5's secure-delete option: a deleted row's tokens are removed from the index segments at once, instead of a
 * delete marker that leaves the old entries (and the deleted text's terms) on disk until a merge. Kept by FTS5 in
 * its config table, so it holds for every connection from now on.
 */
export const keyword0002SecureDelete: Migration = {
  version: 2,
  name: 'keyword-0002-secure-delete',
  up(db) {
    db.exec(`INSERT INTO fts_items(fts_items, rank) VALUES ('secure-delete', 1);`);
  },
};
