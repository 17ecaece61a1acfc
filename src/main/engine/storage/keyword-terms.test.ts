/**
 * Keyword term pruning on a real keyword.db (FTS5, porter): the row count read from FTS5's averages record, common
 * terms left out of the OR only past the size threshold and only while a rarer term remains, and the pruned MATCH
 * still finding the rows the rare term is in.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { createTermPruner, readVarint } from './keyword-terms';
import { FILES, MIGRATIONS, PAGE_SIZE } from './migrations';
import { type DB, migrate, openDatabase } from './sqlite';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function keywordDb(rows: number): DB {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const file = join(t.dir, FILES.keyword);
  const db = openDatabase(file, {
    readonly: false,
    busyTimeoutMs: 5000,
    pageSize: PAGE_SIZE.keyword,
    loadVec: false,
    synchronous: 'NORMAL',
  });
  cleanups.push(() => {
    db.close();
  });
  migrate(db, file, MIGRATIONS.keyword, { dim: 8 });
  const insert = db.prepare('INSERT INTO fts_items(rowid, text, id, layer, session_id) VALUES (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= rows; i++) {
      // "photos" in every row, "guitar" in every 50th, "sunsets" in every 4th.
      const words = ['we shared photos', i % 50 === 0 ? 'guitar' : 'music', i % 4 === 0 ? 'sunsets' : 'mornings'];
      insert.run(i, `${words.join(' ')} row${i}`, `c${i}`, 'm0', 's');
    }
  })();
  return db;
}

describe('keyword term pruning', () => {
  it('reads the row count from the averages record as rows come and go', () => {
    const db = keywordDb(1500);
    const rows = () =>
      readVarint(
        db.prepare<[], { block: Buffer }>('SELECT block FROM fts_items_data WHERE id = 1').get()?.block ??
          Buffer.alloc(0),
      );
    expect(rows()).toBe(1500);
    db.prepare('DELETE FROM fts_items WHERE rowid <= 200').run();
    expect(rows()).toBe(1300);
    expect(readVarint(Buffer.from([0x81, 0x00]))).toBe(128);
  });

  it('drops terms in more than a tenth of the rows while a rarer one remains, past the threshold only', () => {
    const db = keywordDb(2000);
    const pruner = createTermPruner(db, { minRows: 1000, maxShare: 0.1, cacheTerms: 16 });
    // "photo" (stemmed like "photos") is in every row, "sunset" in a quarter: both go; "guitar" (2 %) stays.
    expect(pruner.prune('"photo" OR "sunset" OR "guitar"')).toBe('"guitar"');
    const hits = db
      .prepare<[string], { rowid: number }>('SELECT rowid FROM fts_items WHERE fts_items MATCH ?')
      .all(pruner.prune('"photo" OR "guitar"'));
    expect(hits.length).toBe(40);
    for (const h of hits) expect(h.rowid % 50).toBe(0);
    // Only common terms: the rarest of them is kept, so the query still matches.
    expect(pruner.prune('"photo" OR "sunset"')).toBe('"sunset"');
    // Rare terms alone, a single term, and any other MATCH syntax pass through unchanged.
    expect(pruner.prune('"guitar" OR "row7"')).toBe('"guitar" OR "row7"');
    expect(pruner.prune('"photo"')).toBe('"photo"');
    expect(pruner.prune('photo AND guitar')).toBe('photo AND guitar');
    expect(pruner.cached()).toBeLessThanOrEqual(16);

    // Below the threshold every term is kept.
    const small = createTermPruner(db, { minRows: 5000, maxShare: 0.1, cacheTerms: 16 });
    expect(small.prune('"photo" OR "guitar"')).toBe('"photo" OR "guitar"');
  });
});
