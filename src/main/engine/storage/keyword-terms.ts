/**
 * Keyword search's term split on large tables. FTS5 computes bm25 for every row matching any OR-ed term (≈ 1–3 µs a
 * row: the row's size and positions), so a question holding one common word ("great", "family", a speaker's name each
 * sit in 10–50 % of a chat corpus) makes it score a large share of the table, while counting a term's rows is cheap.
 * On a table of at least `minRows` rows the question's terms are split: the rarest ones whose document frequencies
 * add up to at most `rareRows` are the **rare** part, the rest the **common** part. The caller then ranks
 * (1) the rare part alone and (2) `(rare) AND (common)` — FTS5 intersects doclists by seeking, so only rows holding
 * both are scored — each to its LIMIT, and merges them (`mergeSplit`). FTS5's bm25 is a sum over the query's phrases
 * (each phrase's idf is its own), so a row of (2) gets exactly its full-query score and a row of (1) missing from (2)
 * holds no common term, so its rare-only score is its full one too: the merged top k is the full query's top k among
 * rows holding a rare term. Rows holding only common words are left out (their bm25 is made of small idfs).
 * Document frequencies are counted by FTS5 itself (its porter stemming), cached until the table changed size by a tenth.
 */
import type { DB } from './sqlite';

export interface TermPruneOptions {
  /** Below this many rows every term is kept in one query (bm25 over all matches is cheap there). */
  minRows: number;
  /** The rare part's document frequencies add up to at most this many rows (the rarest term is always rare). */
  rareRows: number;
  /** Terms whose counts are cached. */
  cacheTerms: number;
}

export const TERM_PRUNE_DEFAULTS: TermPruneOptions = { minRows: 20_000, rareRows: 2000, cacheTerms: 4096 };

/** The MATCH to rank: `rare` alone when `common` is null, else `rare` and `(rare) AND (common)`, merged. */
export interface TermSplit {
  rare: string;
  common: string | null;
}

/** The OR of quoted words buildFtsQuery makes; anything else is passed through untouched. */
const OR_OF_WORDS = /^"(?:[^"]|"")*"(?: OR "(?:[^"]|"")*")*$/;

export function createTermPruner(db: DB, opts: TermPruneOptions = TERM_PRUNE_DEFAULTS) {
  // FTS5 keeps the row count as the first varint of its averages record (id 1 of the %_data table): one row read.
  const averages = db.prepare<[], { block: Buffer }>('SELECT block FROM fts_items_data WHERE id = 1');
  const count = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM fts_items WHERE fts_items MATCH ?');
  const cache = new Map<string, number>();
  let cachedAt = 0;

  const rows = (): number => {
    const b = averages.get()?.block;
    return b ? readVarint(b) : 0;
  };

  const docFreq = (quoted: string): number => {
    let n = cache.get(quoted);
    if (n === undefined) {
      n = count.get(quoted)?.n ?? 0;
      if (cache.size >= opts.cacheTerms) cache.delete(cache.keys().next().value as string);
      cache.set(quoted, n);
    }
    return n;
  };

  return {
    /** How to rank `match`: whole (`common` null), or split into its rare and common terms. */
    split(match: string): TermSplit {
      const whole = { rare: match, common: null };
      if (!OR_OF_WORDS.test(match)) return whole;
      const n = rows();
      if (n < opts.minRows) return whole;
      if (Math.abs(n - cachedAt) > cachedAt / 10) {
        cache.clear();
        cachedAt = n;
      }
      const terms = match.split(' OR ');
      if (terms.length < 2) return whole;
      // Rarest first (ties in the question's order); a term with no rows adds nothing and stays rare.
      const order = terms.map((t, i) => ({ t, i, df: docFreq(t) })).sort((a, b) => a.df - b.df || a.i - b.i);
      const rare = new Set<number>();
      let sum = 0;
      for (const o of order) {
        if (rare.size > 0 && sum + o.df > opts.rareRows) break;
        rare.add(o.i);
        sum += o.df;
      }
      if (rare.size === terms.length) return whole;
      return {
        rare: terms.filter((_, i) => rare.has(i)).join(' OR '),
        common: terms.filter((_, i) => !rare.has(i)).join(' OR '),
      };
    },
    /** For tests and stats: the cached document frequencies. */
    cached(): number {
      return cache.size;
    },
  };
}

/**
 * The top `limit` of a split query from its two ranked lists (bm25 ascending: lower is better): a row in both
 * keeps the full-query score of `both`; ties broken by `tie`, as the single query orders them.
 */
export function mergeSplit<T extends { score: number }>(
  rareOnly: T[],
  both: T[],
  limit: number,
  key: (r: T) => string | number,
  tie: (a: T, b: T) => number,
): T[] {
  const byKey = new Map<string | number, T>();
  for (const r of rareOnly) byKey.set(key(r), r);
  for (const r of both) byKey.set(key(r), r);
  return [...byKey.values()].sort((a, b) => a.score - b.score || tie(a, b)).slice(0, limit);
}

/** SQLite's varint (FTS5 uses the same encoding): big-endian 7-bit groups, the ninth byte whole. */
export function readVarint(b: Buffer): number {
  let v = 0;
  for (let i = 0; i < 9 && i < b.length; i++) {
    const byte = b[i] as number;
    if (i === 8) return v * 256 + byte;
    v = v * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return v;
  }
  return v;
}
