import type { Migration } from './types';

/**
 * The audit log: who corrected or forgot what, when and why. It names what an edit touched by id and count only,
 * never by its text or the words of a forget query: a record of forgetting must not keep what was forgotten.
 */
export const core0004Audit: Migration = {
  version: 4,
  name: 'core-0004-audit',
  up(db) {
    db.exec(`
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('correct', 'forget')),
        target TEXT NOT NULL,
        result TEXT NOT NULL,
        reason TEXT
      );
    `);
  },
};
