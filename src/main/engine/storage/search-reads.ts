/**
 * The search side of the read connections: one source per call (nearest
 * vectors, FTS5 bm25, entity expansion in the graph), and the hydration of
 * fused candidates with their provenance. The engine runs each source on its own
 * reader worker, so the three scan in parallel; every read sees the last commit.
 */
import type { Statement } from 'better-sqlite3';
import type { Layer, Message } from '../../../shared/types';
import type { Handlers, SearchMethods } from '../workers/protocol';
import { unitCopy } from './ann/kernel';
import { IvfReader } from './ann/search';
import { createGraphSearch } from './graph-search';
import { createTermPruner, mergeSplit } from './keyword-terms';
import type { DB } from './sqlite';

/** A split keyword query's answer: its one list as it is, or its two lists merged (keyword-terms.ts). */
function splitTop<T extends { score: number }>(
  lists: T[][],
  limit: number,
  key: (r: T) => string | number,
  tie: (a: T, b: T) => number,
): T[] {
  return lists.length === 1 ? (lists[0] ?? []) : mergeSplit(lists[0] ?? [], lists[1] ?? [], limit, key, tie);
}

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
  const sessionOfRowid = dbs.vector.prepare<[number], { session_id: string | null }>(
    'SELECT session_id FROM vec_ids WHERE rowid = ?',
  );
  const ivf = new IvfReader(dbs.vector);
  const terms = createTermPruner(dbs.keyword);

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
  const graphSearch = createGraphSearch(dbs);

  return {
    vectorSearch: ({ vector, layers, sessionIds, limit }) => {
      // Per layer: the IVF index where the layer has one, else (or for a selective session filter) vec0's exact
      // KNN with the session filter inside the scan; merged by cosine distance.
      const hits: { id: string; layer: Layer; distance: number }[] = [];
      const q = unitCopy(vector, 0, vector.length);
      for (const layer of layers) {
        const indexed = ivf.hasIndex(layer);
        // Unfiltered on an indexed layer: the index alone answers, without counting the layer's rows (a count over
        // 100,000 index entries cost more than a third of the IVF search itself).
        if (indexed && !sessionIds) {
          const found = ivf.search(layer, q, limit);
          if (found && found.length >= limit) {
            for (const f of found) {
              const id = idOfRowid.get(f.rowid)?.id;
              if (id) hits.push({ id, layer, distance: 1 - f.score });
            }
            continue;
          }
        }
        const rows = layerCount.get(layer)?.n ?? 0;
        if (rows === 0) continue;
        if (indexed) {
          let opts: { nprobe?: number; keep?: (rowid: number) => boolean } = {};
          let inScope = rows;
          if (sessionIds) {
            inScope = (
              prep(
                dbs.vector,
                `SELECT count(*) AS n FROM vec_ids WHERE layer = ? AND session_id IN (${placeholders(sessionIds.length)})`,
              ).get(layer, ...sessionIds) as { n: number }
            ).n;
            // A broad filter probes proportionally more lists, so as many in-scope candidates are scored as an
            // unfiltered query scores; the filter applies inside the scan.
            const wanted = new Set(sessionIds);
            const base = ivf.index(layer)?.nprobe ?? 1;
            opts = {
              nprobe: Math.ceil((base * rows) / Math.max(1, inScope)),
              keep: (rowid) => wanted.has(sessionOfRowid.get(rowid)?.session_id ?? ''),
            };
          }
          // A filter keeping under a fifth of the layer is cheaper, and exact, through vec0's filtered scan.
          const found = inScope * 5 > rows ? ivf.search(layer, q, limit, opts) : null;
          // Too few in-scope rows in the probed lists: exact search, so a filter never hides what it allows.
          if (found && found.length >= Math.min(limit, inScope)) {
            for (const f of found) {
              const id = idOfRowid.get(f.rowid)?.id;
              if (id) hits.push({ id, layer, distance: 1 - f.score });
            }
            continue;
          }
        }
        const sessionClause = sessionIds ? ` AND session_id IN (${placeholders(sessionIds.length)})` : '';
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

    keywordSearch: ({ match: asked, layers, sessionIds, limit }) => {
      // On a large table the question's rare and common terms are ranked apart and merged (keyword-terms.ts), so
      // bm25 is computed only for rows holding a rare term.
      const split = terms.split(asked);
      const queries = split.common === null ? [split.rare] : [split.rare, `(${split.rare}) AND (${split.common})`];
      // Filters on the unindexed columns make FTS5 read every matching row's stored columns, so with every layer
      // and no session asked for, rank rowids alone and read id and layer for the top rows only.
      if (layers.length === 3 && !sessionIds) {
        const ranked = prep(
          dbs.keyword,
          'SELECT rowid, bm25(fts_items) AS score FROM fts_items WHERE fts_items MATCH ? ORDER BY score, rowid LIMIT ?',
        );
        const lists = queries.map((m) => ranked.all(m, limit) as { rowid: number; score: number }[]);
        const top = splitTop(
          lists,
          limit,
          (r) => r.rowid,
          (a, b) => a.rowid - b.rowid,
        );
        const hits: { id: string; layer: Layer; bm25: number }[] = [];
        for (const t of top) {
          const row = ftsRow.get(t.rowid);
          if (row) hits.push({ id: row.id, layer: row.layer, bm25: t.score });
        }
        return { hits };
      }
      const where = [`layer IN (${placeholders(layers.length)})`];
      if (sessionIds) where.push(`session_id IN (${placeholders(sessionIds.length)})`);
      const ranked = prep(
        dbs.keyword,
        `SELECT id, layer, bm25(fts_items) AS score FROM fts_items
         WHERE fts_items MATCH ? AND ${where.join(' AND ')} ORDER BY score, id LIMIT ?`,
      );
      const lists = queries.map(
        (m) => ranked.all(m, ...layers, ...(sessionIds ?? []), limit) as { id: string; layer: Layer; score: number }[],
      );
      const rows = splitTop(
        lists,
        limit,
        (r) => r.id,
        (a, b) => (a.id < b.id ? -1 : 1),
      );
      return { hits: rows.map((r) => ({ id: r.id, layer: r.layer, bm25: r.score })) };
    },

    ...graphSearch,

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
