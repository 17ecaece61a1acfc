/**
 * The palette's cheap read (search as you type): a bounded FTS5 match over keyword.db (the newest rows holding every
 * word typed), entities whose name starts with what was typed, and conversations whose title contains it. Each part
 * is bounded (at most SCAN_CAP matching rows, newest first; names and titles are index range scans or a scan of the
 * small sessions table), so it answers in about a millisecond at 100,000 items. No embedding: the full hybrid query refines it once typing
 * pauses. It runs on a reader worker of its own, so neither a query nor the background layers queue in front of it.
 */
import type { Layer } from '../../../shared/types';
import { idKind } from '../ids';
import type { DB } from './sqlite';

/** At most this many matching rows are read (newest first) to find `limit` distinct texts. */
export const SCAN_CAP = 200;
/**
 * The prefix match reads further: porter stems the typed prefix as well ("res" → "re"), so some of its rows hold no
 * word starting with what was typed and are passed over (see `startsAWord`).
 */
export const PREFIX_SCAN_CAP = 1000;

export interface SuggestHitRow {
  id: string;
  layer: Layer;
  kind: string;
  text: string;
  validFrom: number | null;
}

export interface SuggestReadMethods {
  suggest: {
    params: {
      /**
       * FTS5 MATCH expressions built by retrieval/suggest.ts (quoted words; the last word exact, then as a prefix),
       * tried in order until `limit` distinct texts are found.
       */
      matches: string[];
      /**
       * The last word as typed when it is matched as a word's start (the match ending in `*`), or null: a row of
       * that match is kept only if a word of its text starts with it.
       */
      prefix: string | null;
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
      /** Matching rows read. */
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

/**
 * Entities whose id starts with `entity:<typed>`: a range of the id key. `+kind` keeps SQLite off the (kind, session)
 * index, through which it read every entity row (2,000 at 100,000 items: 5-15 ms a keystroke) and sorted them.
 */
export const ENTITY_PREFIX_SQL =
  "SELECT id, text FROM items WHERE id >= ? AND id < ? AND +kind = 'entity' ORDER BY id LIMIT ?";

/** Lower case without diacritics, as FTS5's unicode61 tokenizer folds the text it indexes. */
const fold = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();

/**
 * Whether a word of `text` starts with `prefix` (folded). FTS5 stems the typed prefix with porter before matching
 * ("res"* is "re"*, "going"* is "go"*), which would show "really" for "res"; the words a person sees must start
 * with the letters they typed.
 */
export function startsAWord(text: string, prefix: string): boolean {
  const p = fold(prefix);
  const t = fold(text);
  for (let at = t.indexOf(p); at >= 0; at = t.indexOf(p, at + 1)) {
    if (at === 0 || !/[\p{L}\p{N}]/u.test(t[at - 1] as string)) return true;
  }
  return false;
}

/** LIKE pattern for a literal substring (as layer-reads' own: importing it would close a circle through protocol.ts). */
const contains = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createSuggestReads(dbs: { core: DB; keyword: DB }): Table<SuggestReadMethods> {
  // Rowids alone, newest first: FTS5 walks the terms' lists in rowid order and stops at the limit (well under a
  // millisecond for whole words at 100,000 rows). bm25 is not asked for: it costs ~0.15 ms a row, and ranking is the
  // hybrid query's job a moment later.
  const newest = dbs.keyword.prepare<[string, number], { rowid: number }>(
    'SELECT rowid FROM fts_items WHERE fts_items MATCH ? ORDER BY rowid DESC LIMIT ?',
  );
  const row = dbs.keyword.prepare<[number], { id: string; layer: Layer; text: string }>(
    `SELECT id, layer, substr(text, 1, ${MAX_TEXT}) AS text FROM fts_items WHERE rowid = ?`,
  );
  const fullText = dbs.keyword.prepare<[number], { text: string }>('SELECT text FROM fts_items WHERE rowid = ?');
  const validFrom = dbs.core.prepare<[string], { v: number | null }>('SELECT valid_from AS v FROM items WHERE id = ?');
  const entities = dbs.core.prepare<[string, string, number], { id: string; text: string }>(ENTITY_PREFIX_SQL);
  const sessions = dbs.core.prepare<[string, number], { id: string; title: string }>(
    "SELECT id, title FROM sessions WHERE title LIKE ? ESCAPE '\\' ORDER BY created_at DESC, id LIMIT ?",
  );

  return {
    suggest: ({ matches, prefix, entityPrefix, title, limit }) => {
      const hits: SuggestHitRow[] = [];
      const seenRows = new Set<number>();
      // The same words said again (a repeated turn) would fill the list with one memory.
      const seenTexts = new Set<string>();
      let scanned = 0;
      for (const match of matches) {
        if (hits.length >= limit) break;
        const checked = prefix !== null && match.endsWith('*');
        for (const { rowid } of newest.all(match, checked ? PREFIX_SCAN_CAP : SCAN_CAP)) {
          if (seenRows.has(rowid)) continue;
          seenRows.add(rowid);
          scanned++;
          const r = row.get(rowid);
          if (!r || seenTexts.has(r.text)) continue;
          if (checked && !startsAWord(r.text.length < MAX_TEXT ? r.text : (fullText.get(rowid)?.text ?? ''), prefix))
            continue;
          seenTexts.add(r.text);
          hits.push({
            id: r.id,
            layer: r.layer,
            kind: idKind(r.id) || 'chunk',
            text: r.text,
            validFrom: validFrom.get(r.id)?.v ?? null,
          });
          if (hits.length >= limit) break;
        }
      }
      const ents =
        entityPrefix && entityPrefix.length > 'entity:'.length
          ? entities
              .all(entityPrefix, `${entityPrefix}\uffff`, Math.min(5, limit))
              .map((e) => ({ id: e.id, name: e.text }))
          : [];
      const convs = title ? sessions.all(contains(title), Math.min(5, limit)) : [];
      return { hits, entities: ents, sessions: convs, scanned };
    },
  };
}
