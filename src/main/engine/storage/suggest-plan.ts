/**
 * What a keystroke reads: typed text → the FTS5 expressions and lookups of the suggest read (suggest-reads.ts).
 * Pure, so the engine (retrieval/suggest.ts) and the reader's own endpoint (suggest-http.ts) plan alike.
 */
import { normalizeKey, STOP_WORDS, words } from '../text';
import type { SuggestReadMethods } from './suggest-reads';

export const DEFAULT_LIMIT = 8;
/**
 * A last word shorter than this is not used as a prefix: "gr" starts hundreds of words, and FTS5 merges every one's
 * list of rows before it can return the first (0.7 s at 100,000 items on a loaded machine); "gro" is a few.
 */
const MIN_PREFIX = 3;
const MAX_WORDS = 8;

export interface SuggestPlan {
  /** FTS5 expressions, tried in order: the last word as a whole word first (cheap), then as a word's start. */
  matches: string[];
  /** Finished words, as used in the match. */
  words: string[];
  prefix: string | null;
}

const quote = (w: string) => `"${w.replace(/"/g, '""')}"`;

/**
 * The FTS5 expressions for typed text: finished words AND-ed (stop words dropped unless nothing else is left), and
 * the last word, unless the text ends with a space or a mark, first as a whole word (a whole word is read lazily, a
 * prefix makes FTS5 merge the lists of every word it starts), then as a prefix. User text never reaches FTS5's syntax:
 * each word is quoted.
 */
export function suggestPlan(text: string): SuggestPlan {
  const all = words(text);
  const open = all.length > 0 && !/[\s\p{P}]$/u.test(text);
  const last = open ? (all.pop() as string) : null;
  let done = [...new Set(all)];
  const content = done.filter((w) => !STOP_WORDS.has(w));
  if (content.length > 0 || last) done = content;
  done = done.slice(0, MAX_WORDS);
  const prefix = last && last.length >= MIN_PREFIX ? last : null;
  const base = done.map(quote);
  const matches: string[] = [];
  if (last && (!STOP_WORDS.has(last) || base.length === 0)) matches.push([...base, quote(last)].join(' '));
  if (prefix) matches.push([...base, `${quote(prefix)}*`].join(' '));
  if (!last && base.length > 0) matches.push(base.join(' '));
  return { matches: [...new Set(matches)], words: done, prefix };
}

/** The read's parameters for typed text (null when only blanks were typed), with what the hits will say matched. */
export function suggestParams(
  text: string,
  limit = DEFAULT_LIMIT,
): (SuggestReadMethods['suggest']['params'] & { matched: string[] }) | null {
  const trimmed = text.trim();
  if (trimmed.length === 0) return null;
  const plan = suggestPlan(text);
  const key = normalizeKey(trimmed);
  return {
    matches: plan.matches,
    prefix: plan.prefix,
    entityPrefix: key ? `entity:${key}` : null,
    title: trimmed,
    limit,
    matched: plan.words,
  };
}
