/**
 * The ceiling for Strata's storage: one better-sqlite3 connection on one thread, a vec0 table (float32, cosine) and
 * an FTS5 table (porter unicode61, bm25) in one file, one transaction per batch, the raw storage bench's pragmas, and
 * no engine (no journal, no workers, no validation). Hybrid is reciprocal rank fusion of the top 50 of each.
 */
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { buildFtsQuery } from '../../src/main/engine/retrieval/fts-query';
import { fuseRrf } from '../../src/main/engine/retrieval/rrf';
import { dirBytes } from './disk';
import type { BenchQuery, CorpusBatch, PeerSystem } from './types';

const FUSE_DEPTH = 50;

export function createRawSqlite(): PeerSystem {
  let db: Database.Database;
  let dir = '';
  let nextRowid = 1;
  let insert: (b: CorpusBatch) => void;
  let knn: Database.Statement<[Float32Array, number], { rowid: number; distance: number }>;
  let fts: Database.Statement<[string, number], { rowid: number; rank: number }>;
  let idOf: Database.Statement<[number], { id: string }>;
  let dim = 0;

  const vectorIds = (q: BenchQuery, k: number): { id: string; raw: number }[] =>
    knn.all(q.vector, k).map((r) => ({ id: (idOf.get(r.rowid) as { id: string }).id, raw: r.distance }));
  const keywordIds = (q: BenchQuery, k: number): { id: string; raw: number }[] => {
    const match = buildFtsQuery(q.text);
    if (!match) return [];
    return fts.all(match, k).map((r) => ({ id: (idOf.get(r.rowid) as { id: string }).id, raw: r.rank }));
  };

  return {
    name: 'raw-sqlite',
    notes: [
      'better-sqlite3 + sqlite-vec on the calling thread, vec0 float[512] cosine + FTS5 porter unicode61 in one file',
      'WAL, synchronous=NORMAL, one transaction per 500-item batch; hybrid = RRF (k=60) of the top 50 of each',
    ],
    async open(d, dimension) {
      dir = d;
      dim = dimension;
      db = new Database(`${dir}/raw.db`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('cache_size = -32768');
      sqliteVec.load(db);
      db.exec(`
        CREATE TABLE items (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, text TEXT NOT NULL);
        CREATE VIRTUAL TABLE vec_items USING vec0(embedding float[${dim}] distance_metric=cosine);
        CREATE VIRTUAL TABLE fts_items USING fts5(text, tokenize = 'porter unicode61');
      `);
      const item = db.prepare('INSERT INTO items(rowid, id, text) VALUES (?, ?, ?)');
      const vec = db.prepare('INSERT INTO vec_items(rowid, embedding) VALUES (?, ?)');
      const text = db.prepare('INSERT INTO fts_items(rowid, text) VALUES (?, ?)');
      insert = db.transaction((b: CorpusBatch) => {
        b.ids.forEach((id, i) => {
          const rowid = nextRowid++;
          item.run(rowid, id, b.texts[i] as string);
          vec.run(BigInt(rowid), b.vectors.subarray(i * dim, (i + 1) * dim));
          text.run(rowid, b.texts[i] as string);
        });
      });
      knn = db.prepare('SELECT rowid, distance FROM vec_items WHERE embedding MATCH ? AND k = ? ORDER BY distance');
      fts = db.prepare('SELECT rowid, rank FROM fts_items WHERE fts_items MATCH ? ORDER BY rank LIMIT ?');
      idOf = db.prepare('SELECT id FROM items WHERE rowid = ?');
    },
    async ingest(batch) {
      insert(batch);
    },
    async finish() {
      // Every batch is already committed to the WAL: nothing else to persist.
    },
    vectorSearch: async (q, k) => vectorIds(q, k).map((h) => h.id),
    keywordSearch: async (q, k) => keywordIds(q, k).map((h) => h.id),
    hybridSearch: async (q, k) =>
      fuseRrf({ vector: vectorIds(q, FUSE_DEPTH), keyword: keywordIds(q, FUSE_DEPTH) })
        .slice(0, k)
        .map((h) => h.id),
    async close() {
      db.close();
    },
    diskBytes: () => dirBytes(dir),
  };
}
