/**
 * The entities one episode names, with aliases ("Mel" for "Melanie") merged into one canonical name.
 *
 * An entity is a name, not a topic: a speaker, a person, place or organisation compromise recognises and the
 * speaker wrote with a capital, or a run of capitalised words the speaker wrote mid-sentence ("Nintendo Switch",
 * "Charlotte's Web", "LGBTQ"). A capital at the start of a sentence is no evidence (every sentence has one)
 * unless the episode writes the same word with a capital elsewhere. Common nouns ("painting", "love", "power")
 * are never entities: a fact's text and its keywords already carry them.
 */

import { kindFromCues } from './rules-kinds';
import { cleanName, has, type NamedMention, type Term } from './rules-terms';
import type { EntityKind, ExtractedEntity } from './types';
import { normalizeKey } from './update';

export function rawJson<T>(view: { json: (opts?: object) => unknown }, opts?: object): T[] {
  return view.json(opts) as T[];
}

export class EntityRegistry {
  private readonly byKey = new Map<string, ExtractedEntity & { participant: boolean }>();
  private readonly aliasOf = new Map<string, string>();

  add(rawName: string, kind: EntityKind, participant = false): string | undefined {
    const name = cleanName(rawName);
    const key = normalizeKey(name);
    if (!key) return undefined;
    const existing = this.byKey.get(key);
    if (existing) {
      // A name first seen as a thing and later recognised as a person or place is that.
      if (existing.kind === 'thing' && kind !== 'thing') existing.kind = kind;
      // "my dog Max", "the book Becoming Nicole": a pet or a work compromise took for a person, once the episode says so.
      else if ((kind === 'pet' || kind === 'work') && existing.kind === 'person' && !existing.participant) {
        existing.kind = kind;
      }
      if (participant && existing.kind !== 'person') existing.kind = 'person';
      existing.participant ||= participant;
      return existing.name;
    }
    this.byKey.set(key, { name, kind, aliases: [], participant });
    return name;
  }

  /**
   * "Mel" and "Melanie" are one person when both are used as person names in the episode and the
   * short form is a prefix of exactly one longer name; a participant's own name stays canonical.
   */
  mergeAliases(): void {
    const people = [...this.byKey.entries()].filter(([, e]) => e.kind === 'person');
    for (const [shortKey, short] of people) {
      if (shortKey.length < 2) continue;
      const longer = people.filter(([k]) => k.length > shortKey.length && k.startsWith(shortKey));
      if (longer.length !== 1) continue;
      const [longKey, long] = longer[0] as [string, ExtractedEntity & { participant: boolean }];
      const [keepKey, keep, dropKey, drop] =
        short.participant && !long.participant ? [shortKey, short, longKey, long] : [longKey, long, shortKey, short];
      if (!this.byKey.has(dropKey) || !this.byKey.has(keepKey)) continue;
      keep.aliases.push(drop.name, ...drop.aliases);
      this.byKey.delete(dropKey);
      this.aliasOf.set(dropKey, keep.name);
    }
  }

  known(name: string): boolean {
    const key = normalizeKey(cleanName(name));
    return this.aliasOf.has(key) || this.byKey.has(key);
  }

  canonical(name: string): string {
    const key = normalizeKey(cleanName(name));
    return this.aliasOf.get(key) ?? this.byKey.get(key)?.name ?? cleanName(name);
  }

  entities(): ExtractedEntity[] {
    return [...this.byKey.values()].map(({ name, kind, aliases }) => ({ name, kind, aliases: [...new Set(aliases)] }));
  }
}

// Written with a capital in chat without naming anything.
const NOT_NAMES = new Set([
  'i',
  'im',
  'ive',
  'id',
  'ill',
  'ok',
  'okay',
  'omg',
  'lol',
  'haha',
  'wow',
  'yes',
  'no',
  'hey',
  'hi',
  'thanks',
  'mom',
  'dad',
  'god',
  'tv',
]);
// Lower-case words a title may hold between capitals ("Lord of the Rings"); not "and", which joins two names
// ("Bach and Mozart") more often than it sits inside one.
const NAME_GLUE = new Set(['of', 'the', '&', 'de']);

const capitalised = (t: Term): boolean => /^\p{Lu}/u.test(t.text) && !has(t, 'Pronoun') && !has(t, 'Date');
// A capitalised function word is a sentence start compromise did not see ("So", "But"); a capitalised verb or adverb
// in capitals or at the start is emphasis ("JUST DOING") or the start itself ("Sounds great").
const FUNCTION_TAGS = ['Conjunction', 'Determiner', 'Preposition', 'Expression', 'QuestionWord'];
const nameWord = (t: Term, initial = false): boolean => {
  if (!capitalised(t) || NOT_NAMES.has(normalizeKey(t.text).replace(/\s+/g, ''))) return false;
  if (has(t, 'ProperNoun') && !has(t, 'Expression')) return true;
  if (FUNCTION_TAGS.some((tag) => has(t, tag))) return false;
  const shouted = t.text.length > 1 && t.text === t.text.toUpperCase();
  return !((initial || shouted) && (has(t, 'Verb') || has(t, 'Adverb')));
};

/** Keys of capitalised words written past the start of a sentence: the episode's evidence that they are names. */
export function midSentenceCapitals(texts: string[]): Set<string> {
  const keys = new Set<string>();
  for (const text of texts) {
    for (const sentence of text.split(/(?<=[.!?\n])\s+|["\u201c\u201d(]/)) {
      const words = sentence.trim().split(/\s+/).slice(1);
      for (const w of words) if (/^\p{Lu}/u.test(w)) keys.add(normalizeKey(w));
    }
  }
  return keys;
}

/**
 * The names in one sentence: runs of capitalised words (a sentence-initial word only when the episode capitalises
 * it elsewhere), each taking compromise's kind when compromise recognised exactly that run, else a "thing", unless
 * the words around it say it is a work, a pet, an event or a product (rules-kinds.ts); and compromise's own capitalised people, places and organisations outside any run.
 */
export function nameMentions(terms: Term[], recognised: NamedMention[], evidence: Set<string>): NamedMention[] {
  const inSentence = recognised.filter((r) => terms.some((t) => r.ids.has(t.id)));
  const out: NamedMention[] = [];
  const covered = new Set<string>();
  let i = 0;
  const breaks = (k: number) => /[,;:.!?()]/.test(terms[k - 1]?.post ?? '');
  while (i < terms.length) {
    const t = terms[i] as Term;
    const initial = i === 0 || has(terms[i - 1], 'Expression');
    if (!nameWord(t, initial) || (initial && !evidence.has(normalizeKey(t.text)) && !has(t, 'Person'))) {
      i++;
      continue;
    }
    let j = i + 1;
    for (;;) {
      if (terms[j] && nameWord(terms[j] as Term) && !breaks(j)) {
        j++;
        continue;
      }
      // "Lord of the Rings": glue words count only between capitals.
      let k = j;
      while (terms[k] && NAME_GLUE.has((terms[k] as Term).word) && !breaks(k)) k++;
      if (k > j && terms[k] && nameWord(terms[k] as Term) && !breaks(k)) {
        j = k + 1;
        continue;
      }
      break;
    }
    const run = terms.slice(i, j);
    const ids = new Set(run.map((r) => r.id));
    const exact = inSentence.find((r) => r.ids.size >= ids.size && run.every((x) => r.ids.has(x.id)));
    // "Caroline Smith" stays a person; "Charlotte's Web" is a title that starts with one.
    const kind = kindFromCues(terms, i, j, exact?.kind ?? (run.every((x) => has(x, 'Person')) ? 'person' : 'thing'));
    const name = cleanName(run.map((r) => r.text).join(' '));
    if (name) out.push({ ids: exact?.ids ?? ids, name, kind });
    for (const x of run) covered.add(x.id);
    i = j;
  }
  for (const r of inSentence) if (![...r.ids].some((id) => covered.has(id))) out.push(r);
  return out;
}
