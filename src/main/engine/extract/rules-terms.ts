/**
 * The rule extractor's vocabulary: compromise's JSON as terms, the closed word classes the rules test against,
 * and how a term is rendered back into a fact (contractions expanded, verbs made to agree with a named subject).
 */
import nlp from 'compromise';
import type { EntityKind } from './types';

// The slice of compromise's JSON output this module reads.
export interface RawTerm {
  text: string;
  post: string;
  tags: string[];
  normal: string;
  implicit?: string;
  id: string;
  offset?: { start: number; length: number };
}
/** A sentence, or a match from people()/places()/organizations(). */
export interface RawSentence {
  terms: RawTerm[];
}
export interface RawVerb {
  terms: RawTerm[];
  verb: { negative: boolean; grammar: { passive?: boolean } };
}

export interface Term {
  id: string;
  text: string;
  /** Lower-case word with contractions expanded ("'m" -> "am", "I'd" -> "i"). */
  word: string;
  post: string;
  tags: Set<string>;
  start: number;
  end: number;
}

export interface VerbPhrase {
  ids: string[];
  negative: boolean;
  passive: boolean;
}

export interface NamedMention {
  ids: Set<string>;
  name: string;
  kind: EntityKind;
}

// Verbs whose first-person subject chat routinely drops: "love that painting!", "hope so", "miss you".
export const IMPLIED_FIRST_PERSON = new Set(['love', 'like', 'agree', 'hope', 'miss', 'enjoy', 'appreciate', 'wish']);
export const MODALS = new Set(['would', 'could', 'should', 'might', 'will', 'shall', 'can', 'must', 'may']);
export const BE_FORMS = new Set(['am', 'is', 'are', 'was', 'were', 'be', 'been', 'being']);
// Closed-class auxiliaries whose tense compromise does not always tag when they are contracted ("I'm so relieved").
export const PRESENT_AUX = new Set(['am', 'is', 'are', 'have', 'has', 'do', 'does']);
export const PAST_AUX = new Set(['was', 'were', 'had', 'did']);
export const CLAUSE_PRONOUNS = new Set(['i', 'we', 'you', 'he', 'she', 'they', 'it', 'there', 'this', 'that']);
// Pronouns that can be a subject on their own; "me" and "us" are objects ("given me courage").
export const SUBJECT_PRONOUNS = new Set(['i', 'we', 'you']);
// Subjects that refer to nothing the rules can name.
export const NON_REFERRING = new Set([
  'it',
  'this',
  'that',
  'these',
  'those',
  'they',
  'he',
  'she',
  'them',
  'here',
  'there',
  'everyone',
  'everything',
  'everybody',
  'someone',
  'something',
  'somebody',
  'anyone',
  'anything',
  'nothing',
  'nobody',
  'all',
  'both',
  'one',
  'which',
  'what',
  'who',
]);
// compromise tags "what" in "proud of what I did" as a preposition; it opens a clause instead.
export const WH_WORDS = new Set(['what', 'who', 'whom', 'which', 'where', 'how', 'why', 'whatever']);
export const THIRD_PERSON_POSSESSIVES = new Set(['his', 'her', 'their', 'its']);
// Words that open a dependent clause: "since we last spoke", "if I can find one", "when I look after myself".
export const SUBORDINATORS = new Set([
  'since',
  'if',
  'when',
  'whenever',
  'because',
  'cause',
  "'cause",
  'while',
  'although',
  'though',
  'unless',
  'until',
  'once',
  'whereas',
  'despite',
]);
export const DETERMINERS = new Set(['a', 'an', 'the', 'this', 'that', 'these', 'those', 'some', 'such']);
// Objects that carry nothing without coreference ("I love it", "I did that").
export const EMPTY_OBJECTS = new Set([
  'it',
  'that',
  'this',
  'them',
  'those',
  'one',
  'so',
  'too',
  'there',
  'here',
  'things',
]);
export const FIRST_PERSON_FORMS: Record<string, string> = { am: 'is', are: 'is', were: 'was', have: 'has', do: 'does' };

export const has = (t: Term | undefined, tag: string): boolean => t?.tags.has(tag) ?? false;
export const isVerb = (t: Term | undefined): boolean => has(t, 'Verb');
export const isAux = (t: Term | undefined): boolean => has(t, 'Auxiliary') || has(t, 'Modal') || has(t, 'Negative');
/** A hyphen or slash written against the next word ("self-care", "love/hate") joins rather than separates. */
export const glued = (t: Term | undefined): boolean => t !== undefined && (t.post === '-' || t.post === '/');

export function toTerm(raw: RawTerm): Term {
  const start = raw.offset?.start ?? 0;
  return {
    id: raw.id,
    text: raw.text,
    word: (raw.implicit ?? raw.normal ?? raw.text).toLowerCase(),
    post: raw.post,
    tags: new Set(raw.tags),
    start,
    end: start + (raw.offset?.length ?? raw.text.length),
  };
}

/** A term as it should read in a fact: contractions expanded, original capitals kept. */
export function surface(t: Term): string {
  if (t.text === '') return t.word;
  if (t.word === t.text.toLowerCase()) return t.text;
  return /^\p{Lu}/u.test(t.text) ? t.word.charAt(0).toUpperCase() + t.word.slice(1) : t.word;
}

/** A rendered word and the term it came from (none for a name standing in for a pronoun). */
export interface Piece {
  word: string;
  term?: Term;
}

/** Joins rendered words, keeping hyphens, "LGBTQ+" and in-clause commas where the speaker put them. */
export function joinPieces(pieces: Piece[]): string {
  let out = '';
  pieces.forEach(({ word, term }, i) => {
    if (word === '') return;
    const last = i === pieces.length - 1;
    const post = term?.post ?? ' ';
    const mark = post.trim().startsWith('+') ? '+' : '';
    if (glued(term) && !last) out += `${word}${post}`;
    else out += !last && post.includes(',') ? `${word}${mark}, ` : `${word}${mark} `;
  });
  return out.trim();
}

export const piecesOf = (terms: Term[], words = terms.map(surface)): Piece[] =>
  terms.map((term, i) => ({ word: words[i] ?? '', term }));

/** Display form of a name: edge punctuation, a possessive and a leading article removed, case kept. */
export function cleanName(s: string): string {
  return s
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}+]+$/gu, '')
    .replace(/'s$|'$/i, '')
    .replace(/^(?:the|a|an|this|that|these|those)\s+/i, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
export const possessive = (name: string): string => (name.endsWith('s') ? `${name}'` : `${name}'s`);

// than the rest of the extraction put together.
export type VerbForms = { PresentTense?: string };
export const verbTransform = (
  nlp.methods() as {
    two: {
      transform: {
        verb: {
          toInfinitive: (word: string, model: object, tense?: string) => string;
          conjugate: (lemma: string, model: object) => VerbForms;
        };
      };
    };
  }
).two.transform.verb;
export const nlpModel = nlp.model();

/** The lemma of a verb term, read with the tense compromise tagged it with ("went" -> "go", "drawn" -> "draw"). */
export function lemmaOf(t: Term): string {
  if (has(t, 'Copula') || BE_FORMS.has(t.word)) return 'be';
  if (has(t, 'Infinitive')) return t.word;
  const tenses = ['Gerund', 'PastTense', 'Participle', 'PresentTense'].filter((tense) => has(t, tense));
  if (has(t, 'PastTense')) tenses.push('Participle');
  for (const tense of tenses) {
    const lemma = verbTransform.toInfinitive(t.word, nlpModel, tense);
    if (lemma && lemma !== t.word) return lemma;
  }
  return t.word;
}

export function thirdPerson(lemma: string): string {
  return verbTransform.conjugate(lemma, nlpModel)?.PresentTense ?? lemma;
}

/** One verb word made to agree with a named singular subject: "am" -> "is", "live" -> "lives". */
export function agreeWord(t: Term): string {
  const swap = FIRST_PERSON_FORMS[t.word];
  if (swap) return swap;
  const base = has(t, 'Infinitive') || (has(t, 'PresentTense') && !has(t, 'Gerund'));
  if (base && !isAux(t) && !has(t, 'Copula')) return thirdPerson(t.word);
  return surface(t);
}
