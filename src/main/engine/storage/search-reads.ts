/**
 * The search side of the read connections: one source per call (nearest
 * vectors, FTS5 bm25, entity expansion in the graph), and the hydration of
 * fused candidates with their provenance. The engine runs each source on its own
 * reader worker, so the three scan in parallel; every read sees the last commit.
 */
import type { Statement } from 'better-sqlite3';
import type { Layer, Message } from '../../../shared/types';
import { entityIdForKey } from '../ids';
import { normalizeKey, STOP_WORDS } from '../text';
import type { Handlers, SearchMethods } from '../workers/protocol';
import type { DB } from './sqlite';

interface Dbs {
  core: DB;
  vector: DB;
  keyword: DB;
  graph: DB;
}

export function createSearchReads(dbs: Dbs): Handlers<SearchMethods> {
  const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  // Statements whose IN lists vary with the request, prepared once per shape.
  const cached = new Map<string, Statement<unknown[]>>();
  const prep = (db: DB, sql: string): Statement<unknown[]> => {
    let s = cached.get(sql);
    if (!s) {
      s = db.prepare<unknown[]>(sql);
      cached.set(sql, s);
    }
    return s;
  };

  const layerCount = dbs.vector.prepare<[string], { n: number }>('SELECT count(*) AS n FROM vec_ids WHERE layer = ?');
  const ftsRow = dbs.keyword.prepare<[number], { id: string; layer: Layer }>(
    'SELECT id, layer FROM fts_items WHERE rowid = ?',
  );
  const idOfRowid = dbs.vector.prepare<[number], { id: string }>('SELECT id FROM vec_ids WHERE rowid = ?');

  const itemRow = dbs.core.prepare<
    [string],
    {
      rowid: number;
      id: string;
      layer: Layer;
      kind: string;
      session_id: string | null;
      text: string;
      valid_from: number | null;
      valid_to: number | null;
    }
  >('SELECT rowid, id, layer, kind, session_id, text, valid_from, valid_to FROM items WHERE id = ?');
  const sourcesOf = dbs.core.prepare<[string], { dst: string }>(
    "SELECT dst FROM links WHERE src = ? AND kind = 'derived_from' ORDER BY dst",
  );
  const messageRow = dbs.core.prepare<[string], Omit<Message, 'metadata'>>(
    `SELECT id, session_id AS sessionId, seq, role, speaker, text, ts AS timestamp, external_id AS externalId
     FROM messages WHERE id = ?`,
  );
  const neighbourRows = dbs.core.prepare<[string, number, number], { id: string; seq: number }>(
    'SELECT id, seq FROM messages WHERE session_id = ? AND seq IN (?, ?) ORDER BY seq',
  );
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
    vectorSearch: ({ vector, layers, sessionIds, limit }) => {
      // Exact KNN per layer partition (session filter inside the scan), merged by distance.
      const sessionClause = sessionIds ? ` AND session_id IN (${placeholders(sessionIds.length)})` : '';
      const hits: { id: string; layer: Layer; distance: number }[] = [];
      for (const layer of layers) {
        const rows = layerCount.get(layer)?.n ?? 0;
        if (rows === 0) continue;
        const found = prep(
          dbs.vector,
          `SELECT rowid, distance FROM vec_items WHERE embedding MATCH ? AND k = ? AND layer = ?${sessionClause}`,
        ).all(vector, Math.min(limit, rows), layer, ...(sessionIds ?? [])) as { rowid: number; distance: number }[];
        for (const f of found) {
          const id = idOfRowid.get(f.rowid)?.id;
          if (id) hits.push({ id, layer, distance: f.distance });
        }
      }
      hits.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1));
      return { hits: hits.slice(0, limit) };
    },

    keywordSearch: ({ match, layers, sessionIds, limit }) => {
      // Filters on the unindexed columns make FTS5 read every matching row's stored columns, so with every layer
      // and no session asked for, rank rowids alone and read id and layer for the top rows only.
      if (layers.length === 3 && !sessionIds) {
        const top = prep(
          dbs.keyword,
          'SELECT rowid, bm25(fts_items) AS score FROM fts_items WHERE fts_items MATCH ? ORDER BY score, rowid LIMIT ?',
        ).all(match, limit) as { rowid: number; score: number }[];
        const hits: { id: string; layer: Layer; bm25: number }[] = [];
        for (const t of top) {
          const row = ftsRow.get(t.rowid);
          if (row) hits.push({ id: row.id, layer: row.layer, bm25: t.score });
        }
        return { hits };
      }
      const where = [`layer IN (${placeholders(layers.length)})`];
      if (sessionIds) where.push(`session_id IN (${placeholders(sessionIds.length)})`);
      const rows = prep(
        dbs.keyword,
        `SELECT id, layer, bm25(fts_items) AS score FROM fts_items
         WHERE fts_items MATCH ? AND ${where.join(' AND ')} ORDER BY score, id LIMIT ?`,
      ).all(match, ...layers, ...(sessionIds ?? []), limit) as { id: string; layer: Layer; score: number }[];
      return { hits: rows.map((r) => ({ id: r.id, layer: r.layer, bm25: r.score })) };
    },

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
      const queryWords = new Set(keys);
      const hits: { id: string; layer: Layer; hops: number; entities: number; overlap: number }[] = [];
      for (const [id, r] of reach) {
        if (r.hops === 0) continue;
        const node = nodeRow.get(id);
        if (!node?.layer || !wanted.has(node.layer)) continue;
        if (node.kind === 'session' || node.kind === 'message' || node.kind === 'entity') continue;
        if (sessions && !(node.session_id && sessions.has(node.session_id))) continue;
        const overlap = normalizeKey(node.label)
          .split(' ')
          .filter((w) => queryWords.has(w)).length;
        hits.push({ id, layer: node.layer, hops: r.hops, entities: r.from.size, overlap });
      }
      // Nearest first; then reached from more of the query's entities; then sharing more of its words.
      hits.sort(
        (a, b) =>
          a.hops - b.hops ||
          b.entities - a.entities ||
          b.overlap - a.overlap ||
          (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
      );
      return {
        entities: [...entities.values()],
        hits: hits.slice(0, limit).map(({ id, layer, hops }) => ({ id, layer, hops })),
      };
    },

    hydrate: ({ ids }) => {
      const isMessage = (id: string) => messageRow.get(id) !== undefined;
      const memo = new Map<string, { ancestors: string[]; messageIds: string[] }>();
      // An item's source messages are its direct message sources, or else those of the items it came from.
      const lineage = (id: string, depth: number): { ancestors: string[]; messageIds: string[] } => {
        const hit = memo.get(id);
        if (hit) return hit;
        const direct = sourcesOf.all(id).map((r) => r.dst);
        const messages = direct.filter(isMessage);
        const parents = direct.filter((d) => !messages.includes(d));
        const ancestors = new Set<string>(parents);
        const below = new Set<string>(messages);
        if (depth < 4) {
          for (const p of parents) {
            const up = lineage(p, depth + 1);
            for (const a of up.ancestors) ancestors.add(a);
            if (messages.length === 0) for (const m of up.messageIds) below.add(m);
          }
        }
        const out = { ancestors: [...ancestors], messageIds: [...below] };
        memo.set(id, out);
        return out;
      };
      const items = [];
      for (const id of ids) {
        const row = itemRow.get(id);
        if (!row) continue;
        const { ancestors, messageIds } = lineage(id, 0);
        items.push({
          id: row.id,
          layer: row.layer,
          kind: row.kind,
          sessionId: row.session_id,
          text: row.text,
          validFrom: row.valid_from,
          validTo: row.valid_to,
          ancestors,
          messageIds,
        });
      }
      return { items };
    },

    messages: ({ ids, neighbours }) => {
      const out: { message: Omit<Message, 'metadata'>; before: string | null; after: string | null }[] = [];
      for (const id of ids) {
        const m = messageRow.get(id);
        if (!m) continue;
        let before: string | null = null;
        let after: string | null = null;
        if (neighbours) {
          for (const n of neighbourRows.all(m.sessionId, m.seq - 1, m.seq + 1)) {
            if (n.seq < m.seq) before = n.id;
            else after = n.id;
          }
        }
        out.push({ message: m, before, after });
      }
      return { messages: out };
    },
  };
}
