import type { Migration } from './types';

/** Plain node and edge tables, indexed both ways for traversal. */
export const graph0001NodesEdges: Migration = {
  version: 1,
  name: 'graph-0001-nodes-edges',
  up(db) {
    db.exec(`
      CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO store_meta VALUES ('applied_seq', '0');
      CREATE TABLE nodes (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        layer TEXT,
        session_id TEXT,
        label TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX nodes_kind ON nodes(kind);
      CREATE INDEX nodes_session ON nodes(session_id);
      CREATE TABLE edges (
        src TEXT NOT NULL,
        dst TEXT NOT NULL,
        kind TEXT NOT NULL,
        PRIMARY KEY (src, kind, dst)
      ) WITHOUT ROWID;
      CREATE INDEX edges_dst ON edges(dst, kind, src);
    `);
  },
};
