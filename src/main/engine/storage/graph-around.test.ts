import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { graphData } from '../../app/inspector';
import { Engine } from '../engine';

let engine: Engine;
let cleanup: () => void;

const entity = (name: string, entityKind = 'person') => ({
  id: `entity:${name}`,
  layer: 'm2' as const,
  kind: 'entity',
  sessionId: null,
  text: name,
  sources: [],
  data: { name, entityKind, aliases: [] },
});
const rel = (from: string, to: string, relation: string) => ({
  id: `relationship:${from}-${relation}-${to}`,
  layer: 'm2' as const,
  kind: 'relationship',
  sessionId: null,
  text: `${from} ${relation} ${to}`,
  sources: [],
  links: [
    { dst: `entity:${from}`, kind: 'from' },
    { dst: `entity:${to}`, kind: 'to' },
  ],
  data: { from, to, relation },
});

// A hub with 30 spokes, each spoke with two leaves of its own, and a pair on their own.
const spokes = Array.from({ length: 30 }, (_, i) => `spoke${String(i).padStart(2, '0')}`);
const leaves = spokes.flatMap((s) => [`${s}-a`, `${s}-b`]);

beforeAll(async () => {
  const t = tempDir('strata-graph-around-');
  cleanup = t.cleanup;
  engine = await Engine.open({ dataDir: t.dir, embedder: 'hashing', layers: false });
  const entities = ['hub', ...spokes, ...leaves, 'loner1', 'loner2'].map((n) =>
    entity(n, n === 'hub' ? 'place' : 'person'),
  );
  const relationships = [
    ...spokes.map((s) => rel('hub', s, 'knows')),
    ...spokes.flatMap((s) => [rel(s, `${s}-a`, 'likes'), rel(`${s}-b`, s, 'visited')]),
    rel('loner1', 'loner2', 'knows'),
  ];
  for (const items of [entities, relationships]) {
    const vectors = await engine.embedder.embed(items.map((x) => x.text));
    await engine.writeBatch({ items, vectors, kind: 'test.graph', layer: 'm2' });
  }
});

afterAll(async () => {
  await engine.close();
  cleanup();
});

describe('a bounded neighbourhood of the entity graph', () => {
  it('starts from the most connected entity, then its neighbours, then theirs, up to the cap', async () => {
    const whole = await graphData(engine, 5000);
    const around = await graphData(engine, 20, '');
    expect(around.entities[0]?.id).toBe('entity:hub');
    expect(around.entities).toHaveLength(20);
    // 1 hub + 19 spokes fill the cap before any leaf (neighbours before theirs).
    expect(around.entities.slice(1).every((e) => /^spoke\d+$/.test(e.name))).toBe(true);
    expect(around.totalEntities).toBe(whole.totalEntities);
    expect(around.totalRelationships).toBe(whole.totalRelationships);
    // Degrees are the whole graph's; relationships only between entities shown, each as the whole graph has it.
    const wholeById = new Map(whole.entities.map((e) => [e.id, e]));
    for (const e of around.entities) expect(e).toEqual(wholeById.get(e.id));
    expect(around.entities[0]?.degree).toBe(30);
    const shown = new Set(around.entities.map((e) => e.id));
    const wholeRels = new Map(whole.relationships.map((r) => [r.id, r]));
    expect(around.relationships).toHaveLength(19);
    for (const r of around.relationships) {
      expect(shown.has(r.from) && shown.has(r.to)).toBe(true);
      expect(r).toEqual(wholeRels.get(r.id));
    }
  });

  it('around a named entity reaches two hops, both directions, and every relationship among what it shows', async () => {
    const around = await graphData(engine, 150, 'entity:spoke03-a');
    expect(around.entities[0]?.id).toBe('entity:spoke03-a');
    const names = new Set(around.entities.map((e) => e.name));
    // spoke03-a → spoke03 (hop 1) → hub and spoke03-b (hop 2); not the hub's other spokes (hop 3).
    expect([...names].sort()).toEqual(['hub', 'spoke03', 'spoke03-a', 'spoke03-b']);
    expect(around.relationships.map((r) => r.relation).sort()).toEqual(['knows', 'likes', 'visited']);
    const loner = await graphData(engine, 150, 'entity:loner2');
    expect(loner.entities.map((e) => e.name)).toEqual(['loner2', 'loner1']);
  });

  it('refuses an entity that does not exist, naming the field', async () => {
    await expect(graphData(engine, 10, 'entity:nobody')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { field: 'around' },
    });
    await expect(graphData(engine, 10, 'relationship:hub-knows-spoke00')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
