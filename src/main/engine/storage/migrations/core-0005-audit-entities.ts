import type { Migration } from './types';

/**
 * The audit log learns the entity edits: merging two entities, renaming one, and undoing either. SQLite cannot
 * change a CHECK constraint in place, so the table is rebuilt with its rows and ids (AUTOINCREMENT keeps counting).
 */
export const core0005AuditEntities: Migration = {
  version: 5,
  name: 'core-0005-audit-entities',
  up(db) {
    db.exec(`
      CREATE TABLE audit_next (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('correct', 'forget', 'merge', 'rename', 'undo')),
        target TEXT NOT NULL,
        result TEXT NOT NULL,
        reason TEXT
      );
      INSERT INTO audit_next(id, at, actor, action, target, result, reason)
        SELECT id, at, actor, action, target, result, reason FROM audit ORDER BY id;
      DROP TABLE audit;
      ALTER TABLE audit_next RENAME TO audit;
    `);
  },
};
