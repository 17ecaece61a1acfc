/**
 * The ceiling for this storage: a worker that inserts rows into one store file
 * with plain better-sqlite3, the same schema and pragmas as the engine, and no
 * journal, protocol, validation or bookkeeping.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';

interface RawInit {
  store: 'vector' | 'keyword' | 'graph';
  file: string;
  dim: number;
  pageSize: number;
}
interface RawBatch {
  base: number;
  ids: string[];
  texts: string[];
  vectors: Float32Array | null;
}

const init = workerData as RawInit;
const db = new Database(init.file);
db.pragma(`page_size = ${init.pageSize}`);
db.pragma('journal_mode = WAL');
db.pragma('wal_autocheckpoint = 0');
db.pragma('synchronous = NORMAL');
db.pragma('cache_size = -32768');
if (init.store === 'vector') {
  sqliteVec.load(db);
  db.exec(
    `CREATE VIRTUAL TABLE v USING vec0(layer TEXT PARTITION KEY, embedding float[${init.dim}] distance_metric=cosine)`,
  );
} else if (init.store === 'keyword') {
  db.exec(
    "CREATE VIRTUAL TABLE f USING fts5(text, id UNINDEXED, layer UNINDEXED, session_id UNINDEXED, tokenize='porter unicode61')",
  );
} else {
  db.exec(`CREATE TABLE nodes (id TEXT PRIMARY KEY, kind TEXT NOT NULL, layer TEXT, session_id TEXT, label TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE edges (src TEXT NOT NULL, dst TEXT NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (src, kind, dst)) WITHOUT ROWID;
    CREATE INDEX edges_dst ON edges(dst, kind, src);`);
}

const insert =
  init.store === 'vector'
    ? (() => {
        const s = db.prepare('INSERT INTO v(rowid, layer, embedding) VALUES (?, ?, ?)');
        return (b: RawBatch) => {
          const v = b.vectors as Float32Array;
          b.ids.forEach((_, i) => {
            s.run(BigInt(b.base + i), 'm0', v.subarray(i * init.dim, (i + 1) * init.dim));
          });
        };
      })()
    : init.store === 'keyword'
      ? (() => {
          const s = db.prepare('INSERT INTO f(rowid, text, id, layer, session_id) VALUES (?, ?, ?, ?, ?)');
          return (b: RawBatch) => {
            b.ids.forEach((id, i) => {
              s.run(b.base + i, b.texts[i], id, 'm0', 's');
            });
          };
        })()
      : (() => {
          const n = db.prepare('INSERT INTO nodes VALUES (?, ?, ?, ?, ?)');
          const e = db.prepare('INSERT OR IGNORE INTO edges VALUES (?, ?, ?)');
          return (b: RawBatch) => {
            b.ids.forEach((id, i) => {
              n.run(id, 'chunk', 'm0', 's', (b.texts[i] as string).slice(0, 119));
              e.run(id, `msg:${id}`, 'derived_from');
            });
          };
        })();
const tx = db.transaction(insert);
parentPort?.postMessage('ready');

parentPort?.on('message', (b: RawBatch | 'close') => {
  if (b === 'close') {
    db.close();
    parentPort?.postMessage('closed');
    return;
  }
  tx(b);
  parentPort?.postMessage(b.ids.length);
});
