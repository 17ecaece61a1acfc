/**
 * The palette's cheap read (search as you type): a bounded FTS5 prefix match over keyword.db, entities whose name
 * starts with what was typed, and conversations whose title contains it. Each part is bounded (a prefix match visits
 * at most SCAN_CAP rows, newest first; names and titles are index range scans or a scan of the small sessions
 * table), so it answers in milliseconds at 100,000 items. No embedding: the full hybrid query refines it once typing
 * pauses. It runs on a reader worker of its own, so neither a query nor the background layers queue in front of it.
 */
import type { Layer } from '../../../shared/types';
import { idKind } from '../ids';
import { likePattern } from './layer-reads';
import type { DB } from './sqlite';

/** At most this many matches are read (newest first) and ranked by bm25: the cost stays flat however common a word. */
export const SCAN_CAP = 200;

export interface SuggestHitRow {
  id: string;
  layer: Layer;
  kind: string;
  text: string;
  bm25: number;
  validFrom: number | null;
}

export interface SuggestReadMethods {
  suggest: {
    params: {
      /** An FTS5 MATCH expression built by retrieval/suggest.ts (quoted words, the last one a prefix), or null. */
      match: string | null;
      /** An entity id prefix (`entity:<normalised text>`), or null. */
      entityPrefix: string | null;
      /** A literal substring of conversation titles, or null. */
      title: string | null;
      limit: number;
    };
    result: {
      hits: SuggestHitRow[];
      entities: { id: string; name: string }[];
      sessions: { id: string; title: string }[];
      /** Matches read for ranking (SCAN_CAP when there were more). */
      scanned: number;
    };
  };
}

type Table<M> = {
  [K in keyof M]: (
    params: M[K] extends { params: infer P } ? P : never,
  ) => M[K] extends { result: infer R } ? R : never;
};

const MAX_TEXT = 400;

export function createSuggestReads(dbs: { core: DB; keyword: DB }): Table<SuggestReadMethods> {
  const newest = dbs.keyword.prepare<
    [string, number],
    { rowid: number; id: string; layer: Layer; text: string; s: number }
  >(
    `SELECT rowid, id, layer, substr(text, 1, ${MAX_TEXT}) AS text, bm25(fts_items) AS s
     FROM fts_items WHERE fts_items MATCH ? ORDER BY rowid DESC LIMIT ?`,
  );
  const validFrom = dbs.core.prepare<[string], { v: number | null }>('SELECT valid_from AS v FROM items WHERE id = ?');
  const entities = dbs.core.prepare<[string, string, number], { id: string; text: string }>(
    "SELECT id, text FROM items WHERE id >= ? AND id < ? AND kind = 'entity' ORDER BY id LIMIT ?",
  );
  const sessions = dbs.core.prepare<[string, number], { id: string; title: string }>(
    "SELECT id, title FROM sessions WHERE title LIKE ? ESCAPE '\\' ORDER BY created_at DESC, id LIMIT ?",
  );

  return {
    suggest: ({ match, entityPrefix, title, limit }) => {
      let hits: SuggestHitRow[] = [];
      let scanned = 0;
      if (match) {
        const rows = newest.all(match, SCAN_CAP);
        scanned = rows.length;
        // bm25 is negative: lower is better. Ties keep the newer first.
        rows.sort((a, b) => a.s - b.s || b.rowid - a.rowid);
        const seen = new Set<string>();
        for (const r of rows) {
          // The same words said again (a repeated turn) would fill the list with one memory.
          if (seen.has(r.text)) continue;
          seen.add(r.text);
          hits.push({
            id: r.id,
            layer: r.layer,
            kind: idKind(r.id) || 'chunk',
            text: r.text,
            bm25: r.s,
            validFrom: validFrom.get(r.id)?.v ?? null,
          });
          if (hits.length >= limit) break;
        }
      } else hits = [];
      const ents =
        entityPrefix && entityPrefix.length > 'entity:'.length
          ? entities
              .all(entityPrefix, `${entityPrefix}\uffff`, Math.min(5, limit))
              .map((e) => ({ id: e.id, name: e.text }))
          : [];
      const convs = title ? sessions.all(likePattern(title), Math.min(5, limit)) : [];
      return { hits, entities: ents, sessions: convs, scanned };
    },
  };
}
