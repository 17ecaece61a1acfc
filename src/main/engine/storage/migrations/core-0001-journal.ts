import type { Migration } from './types';

/** The journal: the source of truth every store is rebuilt from. */
export const core0001Journal: Migration = {
  version: 1,
  name: 'core-0001-journal',
  up(db) {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        participants TEXT NOT NULL DEFAULT '[]',
        started_at INTEGER,
        user_id TEXT,
        agent_id TEXT,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE messages (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        session_id TEXT NOT NULL REFERENCES sessions(id),
        seq INTEGER NOT NULL,
        role TEXT NOT NULL,
        speaker TEXT NOT NULL,
        text TEXT NOT NULL,
        ts INTEGER NOT NULL,
        external_id TEXT,
        metadata TEXT,
        journal_seq INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX messages_session_seq ON messages(session_id, seq);

      CREATE TABLE items (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        layer TEXT NOT NULL,
        kind TEXT NOT NULL,
        session_id TEXT,
        text TEXT NOT NULL,
        vector BLOB NOT NULL,
        journal_seq INTEGER NOT NULL
      );
      CREATE INDEX items_session ON items(session_id);

      -- Provenance and graph edges: src was derived from / belongs to / follows dst.
      CREATE TABLE links (
        src TEXT NOT NULL,
        dst TEXT NOT NULL,
        kind TEXT NOT NULL,
        PRIMARY KEY (src, kind, dst)
      ) WITHOUT ROWID;
      CREATE INDEX links_dst ON links(dst, kind);

      -- One row per journaled store operation; kept until every store has applied it.
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        write_id TEXT UNIQUE,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE traces (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        trace_id TEXT NOT NULL,
        started_at REAL NOT NULL,
        body TEXT NOT NULL
      );
    `);
  },
};
