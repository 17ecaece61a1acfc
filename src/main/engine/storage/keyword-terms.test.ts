/**
 * Keyword term pruning on a real keyword.db (FTS5, porter): the row count read from FTS5's averages record, the
 * question's terms split into rare and common parts only past the size threshold, and the split query's merged
 * ranking equal to the whole query's for the rows holding a rare term.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { createTermPruner, mergeSplit, readVarint } from './keyword-terms';
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

  it('splits off the rarest terms within the row budget, past the threshold only', () => {
    const db = keywordDb(2000);
    const pruner = createTermPruner(db, { minRows: 1000, rareRows: 100, cacheTerms: 16 });
    // "photo" (stemmed like "photos") is in every row, "sunset" in a quarter, "guitar" in 40 rows.
    expect(pruner.split('"photo" OR "sunset" OR "guitar"')).toEqual({
      rare: '"guitar"',
      common: '"photo" OR "sunset"',
    });
    // Rarest first, in the question's order: "row7" (1 row) and "guitar" (40) fit in 100 rows.
    expect(pruner.split('"guitar" OR "photo" OR "row7"')).toEqual({ rare: '"guitar" OR "row7"', common: '"photo"' });
    // The rarest term is rare even past the budget; all rare, a single term, and any other MATCH pass through whole.
    expect(pruner.split('"photo" OR "sunset"')).toEqual({ rare: '"sunset"', common: '"photo"' });
    expect(pruner.split('"guitar" OR "row7"')).toEqual({ rare: '"guitar" OR "row7"', common: null });
    expect(pruner.split('"photo"')).toEqual({ rare: '"photo"', common: null });
    expect(pruner.split('photo AND guitar')).toEqual({ rare: 'photo AND guitar', common: null });
    expect(pruner.cached()).toBeLessThanOrEqual(16);

    // Below the threshold every term stays in one query.
    const small = createTermPruner(db, { minRows: 5000, rareRows: 100, cacheTerms: 16 });
    expect(small.split('"photo" OR "guitar"')).toEqual({ rare: '"photo" OR "guitar"', common: null });
  });

  it("ranks a split query's rows holding a rare term exactly as the whole query does", () => {
    const db = keywordDb(2000);
    const pruner = createTermPruner(db, { minRows: 1000, rareRows: 100, cacheTerms: 16 });
    const ranked = db.prepare<[string, number], { rowid: number; score: number }>(
      'SELECT rowid, bm25(fts_items) AS score FROM fts_items WHERE fts_items MATCH ? ORDER BY score, rowid LIMIT ?',
    );
    const match = '"photo" OR "sunset" OR "guitar"';
    const split = pruner.split(match);
    expect(split.common).not.toBeNull();
    // 40 rows hold "guitar" (20 of them "sunset" too): the whole query's top 30 are all among them.
    const whole = ranked.all(match, 30);
    const merged = mergeSplit(
      ranked.all(split.rare, 30),
      ranked.all(`(${split.rare}) AND (${split.common})`, 30),
      30,
      (r) => r.rowid,
      (a, b) => a.rowid - b.rowid,
    );
    expect(merged.map((r) => r.rowid)).toEqual(whole.map((r) => r.rowid));
    for (let i = 0; i < whole.length; i++) expect(merged[i]?.score).toBeCloseTo(whole[i]?.score as number, 9);
    // The rows with "guitar" and "sunset" lead: the common words still order the rare term's rows.
    for (const r of merged.slice(0, 20)) expect(r.rowid % 100).toBe(0);
    // The rare part alone would rank by "guitar" only: a different order from the whole query's.
    expect(ranked.all(split.rare, 30).map((r) => r.rowid)).not.toEqual(whole.map((r) => r.rowid));
  });
});
