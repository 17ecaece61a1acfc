/**
 * The graph source ranks what it reaches from the query's entities by the query's other words (issue 16): through
 * the real engine, real stores and the rule extractor, on turns that all name the same person.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { Engine } from '../engine';
import { stem } from './graph-search';

const MAY = Date.UTC(2023, 4, 8, 13, 0);
const TURNS: [string, string][] = [
  ['Caroline', 'My friend Daniel moved into a flat near the harbour.'],
  ['Melanie', 'Daniel ran a marathon with his running club last spring.'],
  ['Caroline', 'Daniel and Anna adopted two cats from the shelter in town.'],
  ['Melanie', 'Anna painted a huge sunset over the lake for her mother.'],
];

let engine: Engine;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempDir('strata-graph-search-');
  cleanup = t.cleanup;
  engine = await Engine.open({ dataDir: t.dir, embedder: 'hashing', chunking: { shortTokens: 0 } });
  await engine.createSession({ id: 's1', participants: ['Caroline', 'Melanie'], startedAt: MAY });
  await engine.addMessages(
    's1',
    TURNS.map(([speaker, text], i) => ({
      id: `m${i}`,
      role: 'user' as const,
      speaker,
      text,
      timestamp: MAY + i * 60_000,
    })),
  );
  await engine.flush();
});

afterAll(async () => {
  await engine.close();
  cleanup();
});

const graphOnly = { weights: { vector: 0, keyword: 0, graph: 1, time: 0 }, layers: ['m2' as const] };

describe('graph source ranking', () => {
  it("puts what shares the query's other words first, before what more of its entities reach", async () => {
    for (const [question, message] of [
      ['Did Daniel run a marathon?', 'm1'],
      ['Which cats did Daniel adopt?', 'm2'],
      // The cats fact names both Daniel and Anna; the painting only Anna, but it is what the question asks about.
      ['Did Daniel or Anna paint a sunset?', 'm3'],
    ] as const) {
      const r = await engine.query({ text: question, ...graphOnly });
      expect(r.entities, question).toContain('Daniel');
      expect(r.hits.length, question).toBeGreaterThan(1);
      expect(r.hits[0]?.messageIds, question).toEqual([message]);
    }
  });

  it('stems so that paint, painted and painting meet, and keeps short words whole', () => {
    expect(new Set(['paint', 'painted', 'painting', 'paints'].map(stem))).toEqual(new Set(['paint']));
    expect(stem('cats')).toBe('cat');
    expect(stem('is')).toBe('is');
  });
});
