/**
 * Reads the inspector needs beyond the layers' own: the items linking to one (an entity's facts), and one entity's
 * neighbourhood in the entity graph, bounded (the Graph view's first picture and each expand). Runs on the reader
 * worker; the items themselves come from the layer reads' `items` (and listings from `listItems`).
 */
import type { GraphData, GraphEntity, GraphRelationship } from '../../../shared/app-types';
import type { Handlers, InspectorReadMethods, ReaderMethods } from '../workers/protocol';
import type { DB } from './sqlite';

/** At most this many relationships are read per entity while growing a neighbourhood (a hub can have thousands). */
const PER_ENTITY = 400;

export function createInspectorReads(core: DB): Pick<Handlers<ReaderMethods>, keyof InspectorReadMethods> {
  const linked = core.prepare<[string, string], { src: string }>(
    'SELECT src FROM links WHERE dst = ? AND kind = ? ORDER BY src',
  );
  // A relationship links to its two entities with 'from' and 'to' (layers/m2.ts); nothing else uses those kinds.
  const mostConnected = core.prepare<[], { id: string }>(
    `SELECT l.dst AS id FROM items r JOIN links l ON l.src = r.id AND l.kind IN ('from', 'to')
     WHERE r.kind = 'relationship' GROUP BY l.dst ORDER BY count(*) DESC, l.dst LIMIT 1`,
  );
  const firstEntity = core.prepare<[], { id: string }>(
    "SELECT id FROM items WHERE kind = 'entity' ORDER BY id LIMIT 1",
  );
  const relsOf = core.prepare<[string, number], { src: string }>(
    "SELECT src FROM links WHERE dst = ? AND kind IN ('from', 'to') ORDER BY src LIMIT ?",
  );
  const endsOf = core.prepare<[string], { dst: string; kind: string }>(
    "SELECT dst, kind FROM links WHERE src = ? AND kind IN ('from', 'to')",
  );
  const degreeOf = core.prepare<[string], { n: number }>(
    "SELECT count(*) AS n FROM links WHERE dst = ? AND kind IN ('from', 'to')",
  );
  const entityRow = core.prepare<[string], { id: string; name: string; kind: string }>(
    `SELECT id, coalesce(json_extract(data, '$.name'), text) AS name,
       coalesce(json_extract(data, '$.entityKind'), 'thing') AS kind FROM items WHERE id = ? AND kind = 'entity'`,
  );
  const relRow = core.prepare<[string], { id: string; text: string; relation: string | null }>(
    "SELECT id, text, json_extract(data, '$.relation') AS relation FROM items WHERE id = ? AND kind = 'relationship'",
  );
  const count = core.prepare<[string], { n: number }>('SELECT count(*) AS n FROM items WHERE kind = ?');

  const ends = new Map<string, { from?: string; to?: string }>();
  const endsOfRel = (id: string) => {
    let e = ends.get(id);
    if (!e) {
      e = {};
      for (const r of endsOf.all(id)) e[r.kind as 'from' | 'to'] = r.dst;
      ends.set(id, e);
    }
    return e;
  };

  return {
    linkedFrom: ({ dst, kind }) => linked.all(dst, kind).map((r) => r.src),
    graphAround: ({ entityId, cap }) => {
      ends.clear();
      const totals = {
        totalEntities: count.get('entity')?.n ?? 0,
        totalRelationships: count.get('relationship')?.n ?? 0,
      };
      const start = entityId ?? mostConnected.get()?.id ?? firstEntity.get()?.id;
      const startRow = start ? entityRow.get(start) : undefined;
      if (!startRow) return { entities: [], relationships: [], ...totals };
      // Breadth first, two hops out, until `cap` entities: the start, its neighbours, theirs.
      const hops = new Map<string, number>([[startRow.id, 0]]);
      let frontier = [startRow.id];
      for (let hop = 1; hop <= 2 && frontier.length > 0 && hops.size < cap; hop++) {
        const next: string[] = [];
        for (const node of frontier) {
          for (const { src } of relsOf.all(node, PER_ENTITY)) {
            const { from, to } = endsOfRel(src);
            const other = from === node ? to : from;
            if (other && !hops.has(other) && hops.size < cap && entityRow.get(other)) {
              hops.set(other, hop);
              next.push(other);
            }
          }
          if (hops.size >= cap) break;
        }
        frontier = next;
      }
      const entities: (GraphEntity & { hop: number })[] = [];
      const relationships = new Map<string, GraphRelationship>();
      for (const [id, hop] of hops) {
        const row = entityRow.get(id);
        if (!row) continue;
        entities.push({
          id,
          name: String(row.name),
          entityKind: String(row.kind),
          degree: degreeOf.get(id)?.n ?? 0,
          hop,
        });
        for (const { src } of relsOf.all(id, PER_ENTITY)) {
          if (relationships.has(src)) continue;
          const { from, to } = endsOfRel(src);
          if (!from || !to || !hops.has(from) || !hops.has(to)) continue;
          const rel = relRow.get(src);
          if (rel) relationships.set(src, { id: src, from, to, relation: rel.relation ?? '', text: rel.text });
        }
      }
      // The start first, then nearest, then the most connected.
      entities.sort((a, b) => a.hop - b.hop || b.degree - a.degree || a.name.localeCompare(b.name));
      const out: GraphData = {
        entities: entities.map(({ hop: _, ...e }) => e),
        relationships: [...relationships.values()],
        ...totals,
      };
      return out;
    },
  };
}
