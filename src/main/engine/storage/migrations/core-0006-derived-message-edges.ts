import type { Migration } from './types';

/**
 * A message's `in_session` and `next` edges are no longer rows of their own: its session and its order are its row's
 * `session_id` and `seq` (the unique index messages_session_seq answers both ways), which saves four B-tree entries a
 * message on every write. The rows older journals kept are dropped here; only those a message wrote (an item's own
 * link of the same kind name, from an item, stays). graph-0002 drops the same edges from graph.db.
 */
export const core0006DerivedMessageEdges: Migration = {
  version: 6,
  name: 'core-0006-derived-message-edges',
  up(db) {
    db.exec(`
      DELETE FROM links WHERE kind = 'in_session' AND src IN (SELECT id FROM messages);
      -- dst checked row by row: two IN lists over messages made SQLite walk their cross product (10^10 lookups at
      -- 100,000 messages: the open hung for over ten minutes); this way it is one lookup a link (0.6 s).
      DELETE FROM links WHERE kind = 'next' AND src IN (SELECT id FROM messages)
        AND EXISTS (SELECT 1 FROM messages m WHERE m.id = links.dst);
    `);
  },
};
