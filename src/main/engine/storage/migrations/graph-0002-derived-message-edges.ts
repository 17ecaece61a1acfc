import type { Migration } from './types';

/**
 * The graph no longer stores a message's `in_session` and `next` edges (see core-0006): a message node carries its
 * session, and its order is the journal's. Graph search never returned a session or a message, and those edges join
 * only sessions and messages, so what it finds is unchanged. Drops the edges older files kept, and the two node
 * indexes no query reads (every node read is by id): four B-tree entries a message fewer on every write.
 */
export const graph0002DerivedMessageEdges: Migration = {
  version: 2,
  name: 'graph-0002-derived-message-edges',
  up(db) {
    db.exec(`
      DELETE FROM edges WHERE kind IN ('in_session', 'next')
        AND src IN (SELECT id FROM nodes WHERE kind = 'message');
      DROP INDEX IF EXISTS nodes_kind;
      DROP INDEX IF EXISTS nodes_session;
    `);
  },
};
