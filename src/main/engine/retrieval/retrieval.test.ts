import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { buildFtsQuery, queryWords } from './fts-query';
import { fuseRrf } from './rrf';

function fts(): Database.Database {
  const db = new Database(':memory:');
  db.exec("CREATE VIRTUAL TABLE f USING fts5(text, tokenize = 'porter unicode61')");
  const ins = db.prepare('INSERT INTO f(rowid, text) VALUES (?, ?)');
  ins.run(1, 'Caroline went to a LGBTQ support group on 7 May 2023');
  ins.run(2, 'Melanie ran a charity race for mental health');
  ins.run(3, 'Caroline is keen on counseling and mental health careers');
  ins.run(4, 'Café au lait with Zoë in Zürich');
  return db;
}

const search = (db: Database.Database, text: unknown) => {
  const q = buildFtsQuery(text);
  if (q === null) return [];
  return db
    .prepare<[string], { rowid: number }>('SELECT rowid FROM f WHERE f MATCH ? ORDER BY bm25(f)')
    .all(q)
    .map((r) => r.rowid);
};

describe('safe FTS5 queries', () => {
  const hostile = [
    '"',
    '""',
    '"unbalanced',
    'NEAR(caroline melanie)',
    'NEAR',
    'AND',
    'OR OR OR',
    'NOT mental',
    '*',
    'support*',
    '-health',
    'mental - health',
    '(((',
    ')',
    'text:caroline',
    '^caroline',
    'caroline + melanie',
    "what's up?",
    '',
    '   ',
    '🙂🙂',
    '¿Qué?',
    'Zürich café',
    'a'.repeat(5000),
    '\u0000\u0001',
  ];

  it.each(hostile)('never raises an FTS syntax error for %j', (text) => {
    const db = fts();
    expect(() => search(db, text)).not.toThrow();
  });

  it('treats operators and punctuation as plain words', () => {
    const db = fts();
    expect(search(db, 'NEAR(caroline, support)')).toEqual([1, 3]);
    expect(search(db, '-health')).toEqual([2, 3]);
    expect(search(db, 'Zürich café')).toEqual([4]);
  });

  it('returns null (no keyword results) for text with no words, and for non-strings', () => {
    expect(buildFtsQuery('')).toBeNull();
    expect(buildFtsQuery('  ?! () "" ')).toBeNull();
    expect(buildFtsQuery(undefined)).toBeNull();
    expect(buildFtsQuery(42)).toBeNull();
  });

  it('drops stop words unless nothing else is left, and bounds the number of terms', () => {
    expect(buildFtsQuery('When did Caroline go to the support group?')).toBe(
      '"caroline" OR "go" OR "support" OR "group"',
    );
    expect(buildFtsQuery('what is it')).toBe('"what" OR "is" OR "it"');
    const many = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    expect(buildFtsQuery(many)?.split(' OR ')).toHaveLength(32);
    expect(queryWords('Don’t STOP—me now')).toEqual(['don', 't', 'stop', 'me', 'now']);
  });

  it('ranks by how many query words a document shares (bm25), stemming with porter', () => {
    const db = fts();
    expect(search(db, 'careers in mental health counseling')[0]).toBe(3);
    expect(search(db, 'running races')).toEqual([2]);
  });
});

describe('reciprocal rank fusion', () => {
  it('sums weight / (k + rank) over sources and explains every contribution', () => {
    const fused = fuseRrf(
      {
        vector: [
          { id: 'a', raw: 0.1 },
          { id: 'b', raw: 0.2 },
        ],
        keyword: [
          { id: 'b', raw: -3.2 },
          { id: 'c', raw: -1.1 },
        ],
      },
      { vector: 1, keyword: 2 },
      60,
    );
    expect(fused.map((f) => f.id)).toEqual(['b', 'c', 'a']);
    const b = fused[0];
    expect(b?.score).toBeCloseTo(1 / 62 + 2 / 61, 12);
    expect(b?.sources).toEqual({
      vector: { rank: 2, raw: 0.2, contribution: 1 / 62 },
      keyword: { rank: 1, raw: -3.2, contribution: 2 / 61 },
    });
    for (const f of fused) {
      const sum = Object.values(f.sources).reduce((s, x) => s + x.contribution, 0);
      expect(f.score).toBeCloseTo(sum, 12);
    }
  });

  it('counts an item once per source, skips sources weighted 0, and breaks ties by first appearance', () => {
    const fused = fuseRrf(
      {
        graph: [
          { id: 'x', raw: 1 },
          { id: 'x', raw: 2 },
          { id: 'y', raw: 2 },
        ],
        keyword: [{ id: 'z', raw: -1 }],
      },
      { keyword: 0 },
    );
    expect(fused.map((f) => [f.id, f.sources.graph?.rank])).toEqual([
      ['x', 1],
      ['y', 3],
    ]);
    const tie = fuseRrf({ a: [{ id: 'p', raw: 0 }], b: [{ id: 'q', raw: 0 }] });
    expect(tie.map((f) => f.id)).toEqual(['p', 'q']);
  });
});
