import type { Migration } from './types';

/** A delete removes the M2 decisions that quote a deleted episode or fact: these indexes find them without a scan. */
export const core0003DecisionLinks: Migration = {
  version: 3,
  name: 'core-0003-decision-links',
  up(db) {
    db.exec(`
      CREATE INDEX decisions_episode ON decisions(episode_id);
      CREATE INDEX decisions_fact ON decisions(fact_id);
      CREATE INDEX decisions_target ON decisions(target_id);
    `);
  },
};
