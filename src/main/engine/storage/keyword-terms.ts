/**
 * Keyword search's term pruning on large tables. FTS5 scores bm25 for every row matching any OR-ed term, so a
 * question holding one very common word ("great", "photo", "share" each sit in a quarter to half of a chat corpus)
 * makes it score a large share of the table. On a table of at least `minRows` rows, terms found in more than
 * `maxShare` of the rows are left out of the MATCH when a rarer term remains; their idf is small (≈ 2.2 at 10 %,
 * against 7–9 for a word in 0.1 % of rows), so they reorder near-ties but rarely decide what is relevant, and the
 * vector source still sees the whole question. Each term's document frequency is counted once by FTS5 itself (so
 * stemming is FTS5's) and cached until the table has changed size by a tenth.
 */
import type { DB } from './sqlite';

export interface TermPruneOptions {
  /** Below this many rows every term is kept (bm25 over all matches is cheap there). */
  minRows: number;
  /** A term in more than this share of the rows is dropped while a rarer one is left. */
  maxShare: number;
  /** Terms whose counts are cached. */
  cacheTerms: number;
}

export const TERM_PRUNE_DEFAULTS: TermPruneOptions = { minRows: 20_000, maxShare: 0.1, cacheTerms: 4096 };

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
    /** The MATCH to run for `match`: the same string, or its rarer terms only. */
    prune(match: string): string {
      if (!OR_OF_WORDS.test(match)) return match;
      const n = rows();
      if (n < opts.minRows) return match;
      if (Math.abs(n - cachedAt) > cachedAt / 10) {
        cache.clear();
        cachedAt = n;
      }
      const terms = match.split(' OR ');
      if (terms.length < 2) return match;
      const limit = opts.maxShare * n;
      const kept = terms.filter((t) => docFreq(t) <= limit);
      // Nothing rare: the single rarest term still narrows the scoring the most.
      if (kept.length === 0) {
        const rarest = terms.reduce((a, b) => (docFreq(b) < docFreq(a) ? b : a));
        return rarest;
      }
      return kept.length === terms.length ? match : kept.join(' OR ');
    },
    /** For tests and stats: the cached document frequencies. */
    cached(): number {
      return cache.size;
    },
  };
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
