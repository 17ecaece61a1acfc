/**
 * Text normalisation and word lists, named once for the whole engine: the key that makes two spellings of a name
 * meet (entity ids, fact subjects, graph lookups), the words too common to rank by (keyword search), the nouns too
 * generic to title an episode. Pure and dependency-free, so it runs on any thread.
 */

const LEADING_ARTICLE = /^(?:a|an|the)\s+/;

/**
 * The comparison key for names, predicates and objects: "The LGBTQ  Support Group's" and
 * "lgbtq support group" must meet, so case, curly quotes, possessives, punctuation, spacing and a
 * leading article do not count.
 */
export function normalizeKey(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
    .replace(/'s\b|s'(?=\s|$)/g, (m) => (m === "'s" ? '' : 's'))
    .replace(/[^\p{L}\p{N}'&]+/gu, ' ')
    .replace(/'/g, '')
    .trim()
    .replace(/\s+/g, ' ')
    .replace(LEADING_ARTICLE, '');
}

/** Words as FTS5's unicode61 tokenizer sees them: runs of letters and digits, case-folded. */
export function words(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  ).filter((w) => w.length > 0);
}

/** Words too common to help ranking (they would match nearly every turn of a conversation). */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her hers him his how i if in ' +
    'into is it its just me my no not of on or our ours she so than that the their them then there these they this ' +
    'to too us was we were what when where which who whom why will with would you your yours'
  ).split(' '),
);

/** Nouns that say nothing about what a conversation was about: never an episode's title. */
export const GENERIC_NOUNS: ReadonlySet<string> = new Set([
  'thing',
  'things',
  'time',
  'lot',
  'way',
  'day',
  'something',
  'anything',
  'everything',
  'one',
]);
