/**
 * Read-only connections to the four files, on their own worker: listings,
 * counts and traces never wait behind a writer (WAL readers see the last commit).
 * Each file's connection is held on its own (read-conn.ts) and opened on first use, so one missing or damaged store
 * fails only the reads of that store, with an error naming its file; the others keep answering.
 */
import { join } from 'node:path';
import type { Message, StoreName, WriteTrace } from '../../../shared/types';
import type { Handlers, ReaderMethods, SessionRow, StoreCounts } from '../workers/protocol';
import { annStatus } from './ann/search';
import { createEditReads } from './audit-log';
import { createInspectorReads } from './inspector-reads';
import { createLayerReads } from './layer-reads';
import { FILES } from './migrations';
import { lazyDb, ReadConn } from './read-conn';
import { createSearchReads } from './search-reads';
import type { DB } from './sqlite';
import { serveSuggest } from './suggest-http';
import { createSuggestReads } from './suggest-reads';
import { createTailReads } from './tail-reads';

/** Every read but the suggest endpoint, which createReader adds (it serves through the table's own `suggest`). */
type TableMethods = Omit<ReaderMethods, 'suggestServe'>;

export function createReader(dataDir: string, busyTimeoutMs: number): Handlers<ReaderMethods> {
  const conns = {
    core: new ReadConn(join(dataDir, FILES.core), false, busyTimeoutMs),
    vector: new ReadConn(join(dataDir, FILES.vector), true, busyTimeoutMs),
    keyword: new ReadConn(join(dataDir, FILES.keyword), false, busyTimeoutMs),
    graph: new ReadConn(join(dataDir, FILES.graph), false, busyTimeoutMs),
  };
  // The handler tables are rebuilt when a connection is reopened (a store rebuilt into a new file): their
  // statements and caches (the IVF reader's centroids) then belong to the new file.
  let built: { key: string; table: Handlers<TableMethods> } | null = null;
  const generations = () =>
    Object.values(conns)
      .map((c) => c.generation)
      .join(',');
  const table = (): Handlers<TableMethods> => {
    const key = generations();
    if (built?.key !== key) built = { key, table: createTable(conns) };
    return built.table;
  };
  const methods = Object.keys(createTable(conns)) as (keyof TableMethods)[];
  const out = {} as Record<string, (params: never) => unknown>;
  for (const m of methods) {
    out[m] = (params: never) => {
      for (const c of Object.values(conns)) c.newRequest();
      return (table()[m] as (p: never) => unknown)(params);
    };
  }
  // Browser mode's palette: this reader answers keystrokes over loopback HTTP itself (suggest-http.ts).
  out.suggestServe = (params: never) => serveSuggest(params, (p) => out.suggest?.(p as never) as never);
  out.close = () => {
    for (const c of Object.values(conns)) c.close();
    return { closed: true };
  };
  return out as unknown as Handlers<ReaderMethods>;
}

function createTable(conns: Record<'core' | StoreName, ReadConn>): Handlers<TableMethods> {
  const dbs = {
    core: lazyDb(conns.core),
    vector: lazyDb(conns.vector),
    keyword: lazyDb(conns.keyword),
    graph: lazyDb(conns.graph),
  };

  const idQueries: Record<StoreName | 'core', string> = {
    core: 'SELECT id FROM items ORDER BY id',
    vector: 'SELECT i.id FROM vec_items v JOIN vec_ids i ON i.rowid = v.rowid ORDER BY i.id',
    keyword: 'SELECT id FROM fts_items ORDER BY id',
    graph: "SELECT id FROM nodes WHERE kind NOT IN ('session', 'message') ORDER BY id",
  };

  const dim = (): number =>
    Number(dbs.core.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'dim'").get()?.value ?? 0);

  return {
    ...createLayerReads(dbs.core, dim),
    ...createSearchReads(dbs),
    ...createInspectorReads(dbs.core),
    ...createEditReads(dbs.core),
    ...createSuggestReads(dbs),
    ...createTailReads(dbs.core),
    open: () => ({ ok: true }),
    listTraces: ({ limit, beforeId }) =>
      dbs.core
        .prepare<[number, number], { body: string }>('SELECT body FROM traces WHERE id < ? ORDER BY id DESC LIMIT ?')
        .all(beforeId ?? Number.MAX_SAFE_INTEGER, limit)
        .map((r) => JSON.parse(r.body) as WriteTrace),
    storeIds: ({ store }) =>
      dbs[store]
        .prepare<[], { id: string }>(idQueries[store])
        .all()
        .map((r) => r.id),
    storeCounts: ({ store }): StoreCounts => {
      // The status bar asks every 5 s, so each count must cost an index walk, not a scan of the store: count(*) on
      // the FTS5 and vec0 tables themselves reads every row (104 and 51 ms at 100,000 rows; ten times that at a
      // million), while their shadow tables (`fts_items_docsize`, `vec_items_rowids`, one row per stored row) count
      // in 0.1 ms. graph.db's nodes are a WITHOUT ROWID table with no secondary index: counted once, not three times.
      const count = (db: DB, sql: string): number => (db.prepare<[], { n: number }>(sql).get()?.n ?? 0) as number;
      switch (store) {
        case 'core':
          return {
            rows: count(dbs.core, 'SELECT count(*) AS n FROM items'),
            ids: count(dbs.core, 'SELECT count(*) AS n FROM messages'),
          };
        case 'vector':
          return {
            rows: count(dbs.vector, 'SELECT count(*) AS n FROM vec_items_rowids'),
            ids: count(dbs.vector, 'SELECT count(*) AS n FROM vec_ids'),
            ann: annStatus(dbs.vector),
          };
        case 'keyword': {
          const rows = count(dbs.keyword, 'SELECT count(*) AS n FROM fts_items_docsize');
          return { rows, ids: rows };
        }
        case 'graph': {
          const nodes = count(dbs.graph, 'SELECT count(*) AS n FROM nodes');
          return { rows: nodes, ids: nodes, nodes, edges: count(dbs.graph, 'SELECT count(*) AS n FROM edges') };
        }
      }
    },
    listMessages: ({ sessionId }) =>
      dbs.core
        .prepare<[string], Message & { metadata: string | null }>(
          `SELECT id, session_id AS sessionId, seq, role, speaker, text, ts AS timestamp, external_id AS externalId, metadata
           FROM messages WHERE session_id = ? ORDER BY seq`,
        )
        .all(sessionId)
        .map((m) => ({
          ...m,
          metadata: m.metadata === null ? null : (JSON.parse(m.metadata) as Record<string, unknown>),
        })),
    listSessions: () =>
      dbs.core
        .prepare<[], SessionRow & { participants: string }>(
          `SELECT id, title, participants, started_at AS startedAt, user_id AS userId, agent_id AS agentId,
             created_at AS createdAt FROM sessions ORDER BY created_at, id`,
        )
        .all()
        .map((s) => ({ ...s, participants: JSON.parse(s.participants) as string[] })),
    outboxDepth: ({ afterSeq }) => ({
      ops: (dbs.core.prepare<[number], { n: number }>('SELECT count(*) AS n FROM outbox WHERE seq > ?').get(afterSeq)
        ?.n ?? 0) as number,
    }),
    // Replaced by createReader's own close, which closes the connections themselves.
    close: () => ({ closed: true }),
  };
}
