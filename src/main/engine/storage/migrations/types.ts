import type Database from 'better-sqlite3';

/** One numbered schema step. Versions start at 1 and have no gaps; `user_version` records the last applied. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database, ctx: { dim: number }): void;
}
