import { describe, expect, it } from 'vitest';
import type { GraphData } from '../../../../shared/app-types';
import { adjacency, neighbourhood, place } from './neighbourhood';

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
