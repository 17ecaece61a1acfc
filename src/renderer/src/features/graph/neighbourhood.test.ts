import { describe, expect, it } from 'vitest';
import type { GraphData } from '../../../../shared/app-types';
import { adjacency, merge, neighbourhood, place } from './neighbourhood';

const entity = (id: string, entityKind = 'person', degree = 1) => ({ id, name: id, entityKind, degree });
const rel = (from: string, to: string) => ({
  id: `${from}-${to}`,
  from,
  to,
  relation: 'knows',
  text: `${from} knows ${to}`,
});
const DATA: GraphData = {
  entities: [
    entity('ann', 'person', 3),
    entity('bob'),
    entity('lisbon', 'place', 2),
    entity('cat', 'pet'),
    entity('zed'),
  ],
  relationships: [rel('ann', 'bob'), rel('ann', 'lisbon'), rel('lisbon', 'cat'), rel('ann', 'cat')],
  totalEntities: 5,
  totalRelationships: 4,
};

describe('the graph neighbourhood', () => {
  it('draws an entity and its direct neighbours, and grows as nodes are expanded', () => {
    const one = neighbourhood(DATA, ['bob']);
    expect([...one.nodes].sort()).toEqual(['ann', 'bob']);
    expect(one.edges.map((e) => e.id)).toEqual(['ann-bob']);
    const two = neighbourhood(DATA, ['bob', 'ann']);
    expect([...two.nodes].sort()).toEqual(['ann', 'bob', 'cat', 'lisbon']);
    expect(two.edges).toHaveLength(4);
  });

  it('filters neighbours by kind, and draws everything only when asked', () => {
    expect([...neighbourhood(DATA, ['ann'], { kinds: new Set(['person']) }).nodes].sort()).toEqual(['ann', 'bob']);
    expect(neighbourhood(DATA, [], { full: true }).nodes.size).toBe(5);
  });

  it('places nodes the same way every time, and keeps placed nodes where they were', () => {
    const adj = adjacency(DATA);
    const a = neighbourhood(DATA, ['ann']);
    const first = place(a.nodes, a.hops, adj, new Map());
    expect(place(a.nodes, a.hops, adj, new Map())).toEqual(first);
    const grown = neighbourhood(DATA, ['ann', 'bob']);
    const second = place(grown.nodes, grown.hops, adj, first);
    for (const [id, p] of first) expect(second.get(id)).toEqual(p);
  });
});

describe('neighbourhoods read one at a time', () => {
  it('merge into one graph: each entity and relationship once, the newest totals, and expand over both', () => {
    const a: GraphData = {
      entities: [entity('ann', 'person', 3), entity('bob')],
      relationships: [rel('ann', 'bob')],
      totalEntities: 5,
      totalRelationships: 4,
    };
    const b: GraphData = {
      entities: [entity('bob'), entity('lisbon', 'place', 2)],
      relationships: [rel('ann', 'bob'), rel('bob', 'lisbon')],
      totalEntities: 6,
      totalRelationships: 5,
    };
    expect(merge([undefined])).toBeUndefined();
    expect(merge([a, undefined])).toBe(a);
    const m = merge([a, undefined, b]);
    expect(m?.entities.map((e) => e.id)).toEqual(['ann', 'bob', 'lisbon']);
    expect(m?.relationships.map((r) => r.id)).toEqual(['ann-bob', 'bob-lisbon']);
    expect([m?.totalEntities, m?.totalRelationships]).toEqual([6, 5]);
    // Bob expanded reaches Lisbon, which only the second read held.
    expect([...neighbourhood(m as GraphData, ['bob']).nodes].sort()).toEqual(['ann', 'bob', 'lisbon']);
  });
});
