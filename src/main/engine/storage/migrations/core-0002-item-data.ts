import type { Migration } from './types';

/**
 * What the layers need beyond text and vector: per-item data (an episode's title and time range, a fact's subject,
 * predicate and object), the time a fact holds from and until, and the record of every M2 update decision.
 */
export const core0002ItemData: Migration = {
  version: 2,
  name: 'core-0002-item-data',
  up(db) {
    db.exec(`
      ALTER TABLE items ADD COLUMN data TEXT;
      ALTER TABLE items ADD COLUMN valid_from INTEGER;
      ALTER TABLE items ADD COLUMN valid_to INTEGER;
      CREATE INDEX items_kind_session ON items(kind, session_id);

      CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        episode_id TEXT NOT NULL,
        session_id TEXT NOT NULL,
        candidate TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('add', 'update', 'noop')),
        fact_id TEXT,
        target_id TEXT,
        reason TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX decisions_session ON decisions(session_id);
    `);
  },
};
