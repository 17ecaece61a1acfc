import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import type { QueryHit, QueryResult } from '../../../shared/types';
import { Engine } from '../engine';
import { KIND_WEIGHT } from './query';
import { RRF_K } from './rrf';

/**
 * A small hand-built memory with known answers: two sessions a month apart, each message about one clear topic.
 * Real engine, real SQLite files, real workers; the hashing embedder (it knows spelling, which is all these need).
 */
const MAY = Date.UTC(2023, 4, 8, 13, 0);
const JUNE = Date.UTC(2023, 5, 20, 10, 0);
const S1 = [
  'I went to the pottery class in Boston with Melanie yesterday.',
  'That sounds lovely! I have been practising the violin every evening.',
  'My brother Daniel started a new job at the aquarium.',
  'We adopted a puppy called Biscuit last weekend.',
  'The marathon training is going well, I ran twenty miles.',
  'I finally finished reading the novel about lighthouses.',
];
const S2 = [
  'Caroline joined a choir that sings at the cathedral.',
  'I planted tomatoes and basil in the garden.',
  'Melanie and I visited Boston again for the harbour festival.',
  'The violin recital is next Friday, I am nervous.',
];

let engine: Engine;
let cleanup: () => void;

async function ask(text: string, extra: Record<string, unknown> = {}): Promise<QueryResult> {
  return engine.query({ text, ...extra });
}

beforeAll(async () => {
  const t = tempDir('strata-query-');
  cleanup = t.cleanup;
  // One message per chunk, so each answer is exactly one message.
  engine = await Engine.open({ dataDir: t.dir, embedder: 'hashing', chunking: { shortTokens: 0 } });
  await engine.createSession({ id: 's1', participants: ['Caroline', 'Melanie'], startedAt: MAY });
  await engine.addMessages(
    's1',
    S1.map((text, i) => ({
      id: `s1-m${i}`,
      role: 'user',
      speaker: i % 2 === 0 ? 'Caroline' : 'Melanie',
      text,
      timestamp: MAY + i * 60_000,
    })),
  );
  await engine.createSession({ id: 's2', participants: ['Caroline', 'Melanie'], startedAt: JUNE });
  await engine.addMessages(
    's2',
    S2.map((text, i) => ({
      id: `s2-m${i}`,
      role: 'user',
      speaker: i % 2 === 0 ? 'Caroline' : 'Melanie',
      text,
      timestamp: JUNE + i * 60_000,
    })),
  );
  await engine.flush();
});

afterAll(async () => {
  await engine.close();
  cleanup();
});

const only = (source: 'vector' | 'keyword' | 'graph') => ({
  weights: { vector: 0, keyword: 0, graph: 0, [source]: 1 },
});

/** Every hit's score is the sum of its sources' contributions, each weight / (k + rank), and scores fall with rank. */
function expectExplained(hits: QueryHit[], weights: Record<string, number> = {}): void {
  hits.forEach((h, i) => {
    expect(h.rank).toBe(i + 1);
    const parts = Object.entries(h.sources);
    expect(parts.length).toBeGreaterThan(0);
    const kindWeight = KIND_WEIGHT[h.kind] ?? 1;
    for (const [source, s] of parts) {
      expect(s.contribution).toBeCloseTo(((weights[source] ?? 1) * kindWeight) / (RRF_K + s.rank), 12);
    }
    expect(h.score).toBeCloseTo(
      parts.reduce((sum, [, s]) => sum + s.contribution, 0),
      12,
    );
    if (i > 0) expect(h.score).toBeLessThanOrEqual((hits[i - 1] as QueryHit).score);
  });
}

describe('each source on a corpus with known answers', () => {
  it('keyword: bm25 ranks the one message about the violin recital first, and says so', async () => {
    const r = await ask('violin recital', { ...only('keyword'), layers: ['m0'] });
    const top = r.hits[0] as QueryHit;
    expect(top.messageIds).toEqual(['s2-m3']);
    expect(top.sources.keyword?.rank).toBe(1);
    expect(top.sources.keyword?.raw).toBeLessThan(0); // FTS5 bm25: more negative is better
    expect(r.hits.map((h) => h.messageIds[0])).toContain('s1-m1'); // the other violin message, lower
    expect(Object.keys(top.sources)).toEqual(['keyword']);
    expectExplained(r.hits);
    expect(r.trace.spans.map((s) => s.source)).toContain('keyword');
  });

  it('vector: the nearest chunk comes first and distances grow with rank', async () => {
    const r = await ask('We adopted a puppy called Biscuit', { ...only('vector'), layers: ['m0'] });
    expect((r.hits[0] as QueryHit).messageIds).toEqual(['s1-m3']);
    const distances = r.hits.map((h) => h.sources.vector?.raw as number);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    expect(distances[0]).toBeLessThan(0.3);
    expectExplained(r.hits);
    expect(r.trace.spans.map((s) => s.source)).toEqual(expect.arrayContaining(['embed', 'vector']));
  });

  it('graph: an entity named in the query expands to its facts and episodes, nearest first', async () => {
    const r = await ask('What happened in Boston?', only('graph'));
    expect(r.entities.map((e) => e.toLowerCase())).toContain('boston');
    expect(r.hits.length).toBeGreaterThan(0);
    const hops = r.hits.map((h) => h.sources.graph?.raw as number);
    expect(hops.every((h) => h === 1 || h === 2)).toBe(true);
    expect(hops).toEqual([...hops].sort((a, b) => a - b));
    // Facts about Boston lead back to the two messages that mention it.
    const bostonFacts = r.hits.filter((h) => h.kind === 'fact');
    expect(bostonFacts.length).toBeGreaterThan(0);
    for (const f of bostonFacts) expect(['s1-m0', 's2-m2']).toEqual(expect.arrayContaining([f.messageIds[0]]));
    expectExplained(r.hits);
  });

  it('graph: a query naming no known entity gives no graph results', async () => {
    const r = await ask('what about the weather', only('graph'));
    expect(r.entities).toEqual([]);
    expect(r.hits).toEqual([]);
  });
});

describe('fusion', () => {
  it('fuses all sources and layers, and every explanation agrees with the ranks returned', async () => {
    const r = await ask('When did Caroline go to Boston with Melanie?', { k: 8 });
    expect(r.hits.length).toBe(8);
    expectExplained(r.hits);
    const layers = new Set(r.hits.flatMap((h) => [h.layer, ...h.grouped.map((g) => g.layer)]));
    expect(layers.size).toBeGreaterThan(1);
    const sources = new Set(r.hits.flatMap((h) => Object.keys(h.sources)));
    expect(sources).toEqual(new Set(['vector', 'keyword', 'graph']));
    // Every result resolves to source messages that exist.
    for (const h of r.hits.filter((x) => x.kind !== 'entity')) {
      expect(h.messageIds.length).toBeGreaterThan(0);
      for (const m of h.messageIds) expect(m).toMatch(/^s[12]-m\d$/);
    }
  });

  it('applies per-source and per-layer weights', async () => {
    const weights = { keyword: 2, vector: 0.5, graph: 0, m1: 0, m2: 0 };
    const r = await ask('violin practice', { weights });
    expect(r.hits.every((h) => h.layer === 'm0')).toBe(true);
    expectExplained(r.hits, weights);
  });

  it('folds results that share provenance, so k slots hold k different memories', async () => {
    const text = 'pottery class in Boston with Melanie';
    const grouped = await ask(text, { k: 10 });
    const flat = await ask(text, { k: 10, group: false });
    const lineage = async (h: QueryHit) => {
      const p = await engine.get(h.id);
      return new Set([...p.ancestors.map((a) => a.id), ...p.descendants.map((d) => d.id)]);
    };
    // No kept result is another kept result's ancestor or descendant ...
    for (const h of grouped.hits) {
      const related = await lineage(h);
      for (const other of grouped.hits) if (other.id !== h.id) expect(related.has(other.id)).toBe(false);
    }
    // ... while without grouping some are, and grouping recorded what it folded.
    let relatedPairs = 0;
    for (const h of flat.hits) {
      const related = await lineage(h);
      relatedPairs += flat.hits.filter((o) => related.has(o.id)).length;
    }
    expect(relatedPairs).toBeGreaterThan(0);
    expect(grouped.hits.some((h) => h.grouped.length > 0)).toBe(true);
  });

  it('can return source messages instead of items, ranked through provenance', async () => {
    const r = await ask('puppy called Biscuit', { returns: 'messages', k: 5 });
    expect(r.hits.every((h) => h.layer === 'message')).toBe(true);
    expect((r.hits[0] as QueryHit).id).toBe('s1-m3');
    expect((r.hits[0] as QueryHit).grouped.length).toBeGreaterThan(0);
    expect(new Set(r.hits.map((h) => h.id)).size).toBe(r.hits.length);
  });

  it('explains a message that ranks only through its neighbour: the neighbour and its share make up the score', async () => {
    // Keyword only, so just the message that names the puppy scores on its own; its neighbours rank through it.
    const r = await ask('puppy called Biscuit', { returns: 'messages', k: 50, layers: ['m0'], ...only('keyword') });
    expect(r.hits[0]?.id).toBe('s1-m3');
    const lifted = r.hits.filter((h) => Object.keys(h.sources).length === 0);
    expect(lifted.map((h) => h.id).sort()).toEqual(['s1-m2', 's1-m4']);
    for (const h of lifted) {
      expect(h.neighbour).toBeDefined();
      expect(h.neighbour?.contribution).toBeCloseTo(h.score, 10);
      const own = await engine.get(h.id);
      const session = await engine.listMessages(own.item.sessionId as string);
      const at = session.findIndex((m) => m.id === h.id);
      expect([session[at - 1]?.id, session[at + 1]?.id]).toContain(h.neighbour?.messageId);
    }
    for (const h of r.hits) if (h.neighbour) expect(h.neighbour.contribution).toBeLessThanOrEqual(h.score + 1e-12);
  });
});

describe('filters and time', () => {
  it('keeps to the sessions asked for', async () => {
    const r = await ask('violin Boston Melanie', { sessionIds: ['s2'], k: 20 });
    expect(r.hits.length).toBeGreaterThan(0);
    for (const h of r.hits) expect(h.sessionId).toBe('s2');
    const m = await ask('violin Boston Melanie', { sessionIds: ['s2'], k: 20, returns: 'messages' });
    for (const h of m.hits) expect(h.sessionId).toBe('s2');
  });

  it('filters by an explicit valid-time window', async () => {
    const r = await ask('violin', { from: Date.UTC(2023, 5, 1), to: Date.UTC(2023, 5, 30), layers: ['m0'] });
    expect((r.hits[0] as QueryHit).messageIds).toEqual(['s2-m3']);
    for (const h of r.hits) expect(h.messageIds[0]).toMatch(/^s2-/);
  });

  it('reads dates in the query: "in May 2023" filters to May in filter mode', async () => {
    const r = await ask('violin in May 2023', { timeMode: 'filter', layers: ['m0'] });
    expect(r.time).toMatchObject({ text: 'May 2023', from: Date.UTC(2023, 4, 1), to: Date.UTC(2023, 5, 1) });
    expect((r.hits[0] as QueryHit).messageIds).toEqual(['s1-m1']);
    for (const h of r.hits) expect(h.messageIds[0]).toMatch(/^s1-/);
  });

  it('reads relative dates against the given date, and lifts items in range in boost mode', async () => {
    const now = JUNE + 8 * 86_400_000;
    const r = await ask('violin last week', { now, layers: ['m0'] });
    expect(r.time?.mode).toBe('boost');
    expect(r.time?.from).toBeLessThanOrEqual(JUNE);
    expect(r.time?.to).toBeGreaterThan(JUNE);
    const top = r.hits[0] as QueryHit;
    expect(top.messageIds).toEqual(['s2-m3']);
    expect(top.sources.time?.rank).toBe(1);
    // The May violin message is still there, only lower.
    expect(r.hits.map((h) => h.messageIds[0])).toContain('s1-m1');
  });
});

describe('hostile and invalid input', () => {
  // Each hostile form of a query (FTS5 operators, stray quotes and brackets, emoji, control characters, padding)
  // must still find what its plain form finds: the plain form's best message is among the hostile form's first 3.
  const pairs: [hostile: string, plain: string][] = [
    ['"violin', 'violin'],
    ['violin"', 'violin'],
    ['NEAR(violin recital)', 'violin recital'],
    ['violin AND OR NOT', 'violin'],
    ['violin*', 'violin'],
    ['-violin', 'violin'],
    ['(((pottery class', 'pottery class'],
    ['pottery class)', 'pottery class'],
    ['text:violin', 'violin'],
    ['^aquarium', 'aquarium'],
    ['aquarium 🙂🙂', 'aquarium'],
    ['¿Qué tal? tomatoes café', 'tomatoes'],
    ['harbour\u0000\u0001 festival', 'harbour festival'],
    ['lighthouses {} [] ; -- DROP TABLE items', 'lighthouses'],
    [`${'x'.repeat(4000)} marathon`, 'marathon'],
  ];
  it.each(pairs.map(([hostile, plain], i) => [i, hostile.slice(0, 40), plain, hostile] as const))(
    'hostile form #%i (%s) still finds what "%s" finds',
    async (_, _label, plain, hostile) => {
      const want = (await ask(plain, { layers: ['m0'] })).hits[0]?.messageIds[0];
      expect(want).toMatch(/^s[12]-m\d$/);
      const got = (await ask(hostile, { layers: ['m0'] })).hits.slice(0, 3).flatMap((h) => h.messageIds);
      expect(got).toContain(want);
    },
  );

  it.each(['"', '*', '(((', ')', '^', 'NEAR()', '\u0000\u0001'])(
    'reads operators alone (%j) as no words: no keyword match at all, not a match of everything',
    async (text) => {
      const r = await ask(text, { layers: ['m0'] });
      expect(r.hits.filter((h) => h.sources.keyword !== undefined)).toEqual([]);
    },
  );

  it.each(['', '   '])('answers empty text (%j) with an empty list', async (text) => {
    expect((await ask(text)).hits).toEqual([]);
  });

  it.each([
    [{ text: 'x', k: 0 }, 'query.k'],
    [{ text: 'x', k: 1.5 }, 'query.k'],
    [{ text: 'x', layers: ['m9'] }, 'query.layers'],
    [{ text: 'x', weights: { vector: -1 } }, 'query.weights.vector'],
    [{ text: 'x', from: 10, to: 5 }, 'query.from'],
    [{ text: 'x', surprise: true }, 'query'],
    [{ text: 42 }, 'query.text'],
    [{ text: 'x'.repeat(5000) }, 'query.text'],
  ])('refuses %o with INVALID_INPUT naming %s', async (input, field) => {
    await expect(engine.query(input as never)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(field),
    });
  });
});

describe('freshness', () => {
  it('never serves a result older than the last write', async () => {
    const before = await ask('zeppelin', { layers: ['m0'] });
    expect(before.hits.some((h) => h.messageIds.includes('s2-zeppelin'))).toBe(false);
    await engine.addMessages('s2', [
      { id: 's2-zeppelin', role: 'user', speaker: 'Caroline', text: 'We saw a zeppelin over the bay!' },
    ]);
    const after = await ask('zeppelin', { layers: ['m0'] });
    expect((after.hits[0] as QueryHit).messageIds).toEqual(['s2-zeppelin']);
    await engine.deleteMessage('s2-zeppelin');
    const gone = await ask('zeppelin', { layers: ['m0'] });
    expect(gone.hits.some((h) => h.messageIds.includes('s2-zeppelin'))).toBe(false);
  });
});
