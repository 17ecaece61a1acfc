/**
 * Building FTS5 MATCH expressions from whatever a person typed. User text never
 * reaches FTS5's query syntax: it is cut into words, each word is quoted as a
 * string (so `NEAR`, `AND`, `*`, `-`, `:`, quotes and parentheses are just text),
 * and the words are OR-ed so bm25 ranks documents by how many they share.
 * Text with no words at all yields null: the caller returns no keyword results.
 */

/** Words too common to help ranking (they would match nearly every turn of a conversation). */
export const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her hers him his how i if in ' +
    'into is it its just me my no not of on or our ours she so than that the their them then there these they this ' +
    'to too us was we were what when where which who whom why will with would you your yours'
  ).split(' '),
);

export interface FtsQueryOptions {
  /** Drop stop words (kept if nothing else is left). */
  dropStopWords: boolean;
  /** At most this many distinct words (long pasted text would make a huge OR). */
  maxTerms: number;
}

export const FTS_QUERY_DEFAULTS: FtsQueryOptions = { dropStopWords: true, maxTerms: 32 };

/** Words as FTS5's unicode61 tokenizer sees them: runs of letters and digits. */
export function queryWords(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  ).filter((w) => w.length > 0);
}

export function buildFtsQuery(text: unknown, opts: FtsQueryOptions = FTS_QUERY_DEFAULTS): string | null {
  if (typeof text !== 'string') return null;
  const words = [...new Set(queryWords(text))];
  if (words.length === 0) return null;
  const kept = opts.dropStopWords ? words.filter((w) => !STOP_WORDS.has(w)) : words;
  const terms = (kept.length > 0 ? kept : words).slice(0, opts.maxTerms);
  // A double-quoted FTS5 string is a literal phrase; a quote inside is doubled. Words hold none, but stay safe.
  return terms.map((w) => `"${w.replace(/"/g, '""')}"`).join(' OR ');
}
