/**
 * Building FTS5 MATCH expressions from whatever a person typed. User text never
 * reaches FTS5's query syntax: it is cut into words, each word is quoted as a
 * string (so `NEAR`, `AND`, `*`, `-`, `:`, quotes and parentheses are just text),
 * and the words are OR-ed so bm25 ranks documents by how many they share.
 * Text with no words at all yields null: the caller returns no keyword results.
 */
import { STOP_WORDS, words } from '../text';

export interface FtsQueryOptions {
  /** Drop stop words (kept if nothing else is left). */
  dropStopWords: boolean;
  /** At most this many distinct words (long pasted text would make a huge OR). */
  maxTerms: number;
}

export const FTS_QUERY_DEFAULTS: FtsQueryOptions = { dropStopWords: true, maxTerms: 32 };

/** Words as FTS5's unicode61 tokenizer sees them. */
export const queryWords = words;

export function buildFtsQuery(text: unknown, opts: FtsQueryOptions = FTS_QUERY_DEFAULTS): string | null {
  if (typeof text !== 'string') return null;
  const words = [...new Set(queryWords(text))];
  if (words.length === 0) return null;
  const kept = opts.dropStopWords ? words.filter((w) => !STOP_WORDS.has(w)) : words;
  const terms = (kept.length > 0 ? kept : words).slice(0, opts.maxTerms);
  // A double-quoted FTS5 string is a literal phrase; a quote inside is doubled. Words hold none, but stay safe.
  return terms.map((w) => `"${w.replace(/"/g, '""')}"`).join(' OR ');
}
