/** Test helpers: temp data directories, store contents read straight from the files, bounded polling. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';

export function tempDir(prefix = 'strata-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Canonical contents of every store, read with a separate read-only connection, for exact comparison. */
export function readStores(dataDir: string): {
  vector: { id: string; layer: string; embedding: string }[];
  keyword: { id: string; layer: string; text: string }[];
  nodes: { id: string; kind: string; label: string }[];
  edges: { src: string; dst: string; kind: string }[];
  items: { id: string; text: string }[];
} {
  const open = (f: string) => new Database(join(dataDir, f), { readonly: true });
  const vdb = open('vector.db');
  sqliteVec.load(vdb);
  const vector = vdb
    .prepare<[], { id: string; layer: string; embedding: Buffer }>(
      'SELECT i.id, v.layer, v.embedding FROM vec_items v JOIN vec_ids i ON i.rowid = v.rowid ORDER BY i.id',
    )
    .all()
    .map((r) => ({ id: r.id, layer: r.layer, embedding: r.embedding.toString('base64') }));
  vdb.close();
  const kdb = open('keyword.db');
  const keyword = kdb
    .prepare<[], { id: string; layer: string; text: string }>('SELECT id, layer, text FROM fts_items ORDER BY id')
    .all();
  kdb.close();
  const gdb = open('graph.db');
  const nodes = gdb
    .prepare<[], { id: string; kind: string; label: string }>('SELECT id, kind, label FROM nodes ORDER BY id')
    .all();
  const edges = gdb
    .prepare<[], { src: string; dst: string; kind: string }>('SELECT src, dst, kind FROM edges ORDER BY src, kind, dst')
    .all();
  gdb.close();
  const cdb = open('core.db');
  const items = cdb.prepare<[], { id: string; text: string }>('SELECT id, text FROM items ORDER BY id').all();
  cdb.close();
  return { vector, keyword, nodes, edges, items };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
