/**
 * The graph source of a search: the entities the query names (by name or alias), what the graph reaches from them
 * within two hops, ranked by how many of the query's other words each shares and how many of its entities reach
 * it, then by hops. Runs on a reader worker beside the other sources (storage/search-reads.ts).
 */
import type { Layer } from '../../../shared/types';
import { entityIdForKey } from '../ids';
import { normalizeKey, STOP_WORDS } from '../text';
import type { Handlers, SearchMethods } from '../workers/protocol';
import type { DB } from './sqlite';

/** A crude stem, so "paint", "painted", "painting" and "paints" meet; short words are kept whole. */
export function stem(w: string): string {
  const cut = w.replace(/(?:ing|ed|es|s)$/, '');
  return cut.length >= 3 ? cut : w;
}

export function createGraphSearch(dbs: { core: DB; graph: DB }): Pick<Handlers<SearchMethods>, 'graphSearch'> {
  const entityById = dbs.core.prepare<[string], { id: string; name: string }>(
    "SELECT id, coalesce(json_extract(data, '$.name'), text) AS name FROM items WHERE id = ? AND kind = 'entity'",
  );
  const entitiesWithAliases = dbs.core.prepare<[], { id: string; alias: string }>(
    `SELECT i.id, a.value AS alias FROM items i, json_each(i.data, '$.aliases') a
     WHERE i.kind = 'entity' AND json_array_length(i.data, '$.aliases') > 0`,
  );
  const edgesTouching = dbs.graph.prepare<[string, string], { other: string }>(
    'SELECT dst AS other FROM edges WHERE src = ? UNION SELECT src AS other FROM edges WHERE dst = ?',
  );
  const nodeRow = dbs.graph.prepare<
    [string],
    { kind: string; layer: Layer | null; session_id: string | null; label: string }
  >('SELECT kind, layer, session_id, label FROM nodes WHERE id = ?');

  return {
    graphSearch: ({ text, layers, sessionIds, limit }) => {
      // Entities named in the text: any run of one to four words whose normalised form is an entity's name or alias.
      const words = text.match(/[\p{L}\p{N}'’&.-]+/gu) ?? [];
      const keys = new Set<string>();
      for (let n = 1; n <= 4; n++) {
        for (let i = 0; i + n <= words.length; i++) {
          const key = normalizeKey(words.slice(i, i + n).join(' '));
          // A stop word never names an entity on its own.
          if (key.length > 1 && !(n === 1 && STOP_WORDS.has(key))) keys.add(key);
        }
      }
      const entities = new Map<string, string>();
      for (const key of keys) {
        const e = entityById.get(entityIdForKey(key));
        if (e) entities.set(e.id, e.name);
      }
      for (const a of entitiesWithAliases.all()) if (keys.has(normalizeKey(a.alias))) entities.set(a.id, a.alias);
      if (entities.size === 0) return { entities: [], hits: [] };

      // Breadth-first over edges both ways, two hops out; each node keeps its fewest hops and the entities reaching it.
      const reach = new Map<string, { hops: number; from: Set<string> }>();
      for (const id of entities.keys()) reach.set(id, { hops: 0, from: new Set([id]) });
      let frontier = [...entities.keys()];
      for (let hop = 1; hop <= 2 && frontier.length > 0; hop++) {
        const next: string[] = [];
        for (const node of frontier) {
          const origins = reach.get(node)?.from ?? new Set<string>();
          for (const { other } of edgesTouching.all(node, node)) {
            const seen = reach.get(other);
            if (!seen) {
              reach.set(other, { hops: hop, from: new Set(origins) });
              next.push(other);
            } else if (seen.hops === hop) for (const o of origins) seen.from.add(o);
          }
        }
        frontier = next;
      }

      const wanted = new Set(layers);
      const sessions = sessionIds ? new Set(sessionIds) : null;
      // The query's other words: what it asks about the entities it names ("What did Melanie paint?" -> paint).
      const named = new Set([...entities.values()].flatMap((n) => normalizeKey(n).split(' ')));
      const asked = new Set(
        words
          .map((w) => normalizeKey(w))
          .filter((w) => w.length > 1 && !STOP_WORDS.has(w) && !named.has(w))
          .map(stem),
      );
      const hits: { id: string; layer: Layer; hops: number; entities: number; overlap: number }[] = [];
      for (const [id, r] of reach) {
        if (r.hops === 0) continue;
        const node = nodeRow.get(id);
        if (!node?.layer || !wanted.has(node.layer)) continue;
        if (node.kind === 'session' || node.kind === 'message' || node.kind === 'entity') continue;
        if (sessions && !(node.session_id && sessions.has(node.session_id))) continue;
        const said = new Set(normalizeKey(node.label).split(' ').map(stem));
        let overlap = 0;
        for (const w of asked) if (said.has(w)) overlap++;
        hits.push({ id, layer: node.layer, hops: r.hops, entities: r.from.size, overlap });
      }
      // What shares more of the query's other words, or is reached from more of its entities, first; then nearest.
      hits.sort(
        (a, b) =>
          b.overlap + b.entities - (a.overlap + a.entities) ||
          a.hops - b.hops ||
          b.overlap - a.overlap ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
      return {
        entities: [...entities.values()],
        hits: hits.slice(0, limit).map(({ id, layer, hops }) => ({ id, layer, hops })),
      };
    },
  };
}
