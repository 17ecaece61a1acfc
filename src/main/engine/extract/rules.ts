/**
 * The rule-based M2 extractor: turns one episode's messages into short facts, entities and
 * relationships with no model, using compromise for sentences, parts of speech and names and
 * chrono for dates. It is also the fallback when the LLM path fails, so it must not throw on odd text.
 *
 * A fact is one clause with a resolved subject: "I" is the speaker, "you" the one other participant,
 * "we" the speaker plus the others when the sentence says they were together ("together", "both"),
 * else the speaker "and others". Third-person pronouns ("it", "she", "they") are not resolved, so
 * clauses that start with one give no fact.
 *
 * Dates: a relative date is resolved against the message's own timestamp and written at the precision
 * the speaker gave ("on 7 May 2023", "in June 2023", "in 2022", "in the week of 26 June 2023").
 * `validFrom` is local midnight at the start of that day (or month, year), in the process's timezone,
 * the same one the timestamp is read in; a fact without a date holds from the message's time.
 */

import * as chrono from 'chrono-node';
import nlp from 'compromise';
import type {
  EntityKind,
  ExtractedEntity,
  ExtractedFact,
  ExtractedRelationship,
  ExtractInput,
  Extraction,
  ExtractMessage,
  Extractor,
} from './types';
import { normalizeKey } from './update';

// The slice of compromise's JSON output this module reads.
interface RawTerm {
  text: string;
  post: string;
  tags: string[];
  normal: string;
  implicit?: string;
  id: string;
  offset?: { start: number; length: number };
}
/** A sentence, or a match from people()/places()/organizations(). */
interface RawSentence {
  terms: RawTerm[];
}
interface RawVerb {
  terms: RawTerm[];
  verb: { negative: boolean; grammar: { passive?: boolean } };
}

interface Term {
  id: string;
  text: string;
  /** Lower-case word with contractions expanded ("'m" -> "am", "I'd" -> "i"). */
  word: string;
  post: string;
  tags: Set<string>;
  start: number;
  end: number;
}

interface VerbPhrase {
  ids: string[];
  negative: boolean;
  passive: boolean;
}

interface NamedMention {
  ids: Set<string>;
  name: string;
  kind: EntityKind;
}

interface DateMention {
  start: number;
  end: number;
  /** Read as the nearest or past occurrence, and as the next one (for plans); none for "now", which is dropped. */
  past: chrono.ParsedResult | undefined;
  future: chrono.ParsedResult | undefined;
}

interface ResolvedDate {
  phrase: string;
  validFrom: number;
}

interface Subject {
  /** The fact's subject field: a name, or a noun phrase ("support group", "Melanie's kids"). */
  field: string;
  /** How it reads in the fact's text ("Jolene and Caroline"). */
  text: string;
  people: string[];
  /** A first- or second-person pronoun became one name, so the verb must agree ("I am" -> "Caroline is"). */
  singular: boolean;
}

interface MessageContext {
  msg: ExtractMessage;
  verbByFirstId: Map<string, VerbPhrase>;
  named: NamedMention[];
  dates: DateMention[];
  /** The sentence says the listener was there too ("together", "both"), so "we" includes them. */
  inclusive: boolean;
}

interface Draft {
  fact: ExtractedFact;
  subject: Subject;
  /** A following "and <verb>" clause may take this subject: not after a modal ("can swim and run") or a
   *  verb inside the object ("a way to express my feelings and get creative"), which "and" may continue. */
  shareable: boolean;
  /** How the subject relates to the object's first entity ("went to"), or "mentioned with". */
  relation: string;
  subjectEntities: string[];
  objectEntities: string[];
}

// Verbs whose first-person subject chat routinely drops: "love that painting!", "hope so", "miss you".
const IMPLIED_FIRST_PERSON = new Set(['love', 'like', 'agree', 'hope', 'miss', 'enjoy', 'appreciate', 'wish']);
const MODALS = new Set(['would', 'could', 'should', 'might', 'will', 'shall', 'can', 'must', 'may']);
const BE_FORMS = new Set(['am', 'is', 'are', 'was', 'were', 'be', 'been', 'being']);
// Closed-class auxiliaries whose tense compromise does not always tag when they are contracted ("I'm so relieved").
const PRESENT_AUX = new Set(['am', 'is', 'are', 'have', 'has', 'do', 'does']);
const PAST_AUX = new Set(['was', 'were', 'had', 'did']);
const CLAUSE_PRONOUNS = new Set(['i', 'we', 'you', 'he', 'she', 'they', 'it', 'there', 'this', 'that']);
// Pronouns that can be a subject on their own; "me" and "us" are objects ("given me courage").
const SUBJECT_PRONOUNS = new Set(['i', 'we', 'you']);
// Subjects that refer to nothing the rules can name.
const NON_REFERRING = new Set([
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
const WH_WORDS = new Set(['what', 'who', 'whom', 'which', 'where', 'how', 'why', 'whatever']);
const THIRD_PERSON_POSSESSIVES = new Set(['his', 'her', 'their', 'its']);
// Words that open a dependent clause: "since we last spoke", "if I can find one", "when I look after myself".
const SUBORDINATORS = new Set([
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
const DETERMINERS = new Set(['a', 'an', 'the', 'this', 'that', 'these', 'those', 'some', 'such']);
// Objects that carry nothing without coreference ("I love it", "I did that").
const EMPTY_OBJECTS = new Set(['it', 'that', 'this', 'them', 'those', 'one', 'so', 'too', 'there', 'here', 'things']);
// Nouns too general to be entities, and quantities whose "of" phrase is the real thing ("tons of joy").
const GENERIC_THINGS = new Set(['people', 'things', 'thing', 'stuff', 'way', 'time', 'guys', 'one', 'day', 'best']);
const QUANTITIES = new Set(['lot', 'lots', 'ton', 'tons', 'bit', 'kind', 'sort', 'couple', 'bunch', 'part', 'plenty']);
const DATE_PREPOSITIONS = new Set(['on', 'in', 'at', 'during', 'since', 'until', 'by', 'before', 'after', 'from']);
// chrono reads these as instants, but in chat they mean "currently": the fact's own time already says
// that, so they are dropped rather than written as a date.
const NOT_A_DATE = new Set(['now', 'right now']);
const FIRST_PERSON_FORMS: Record<string, string> = { am: 'is', are: 'is', were: 'was', have: 'has', do: 'does' };
const FACT_DAY = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });
const FACT_MONTH = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric' });

const has = (t: Term | undefined, tag: string): boolean => t?.tags.has(tag) ?? false;
const isVerb = (t: Term | undefined): boolean => has(t, 'Verb');
const isAux = (t: Term | undefined): boolean => has(t, 'Auxiliary') || has(t, 'Modal') || has(t, 'Negative');
/** A hyphen or slash written against the next word ("self-care", "love/hate") joins rather than separates. */
const glued = (t: Term | undefined): boolean => t !== undefined && (t.post === '-' || t.post === '/');

function toTerm(raw: RawTerm): Term {
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
function surface(t: Term): string {
  if (t.text === '') return t.word;
  if (t.word === t.text.toLowerCase()) return t.text;
  return /^\p{Lu}/u.test(t.text) ? t.word.charAt(0).toUpperCase() + t.word.slice(1) : t.word;
}

/** A rendered word and the term it came from (none for a name standing in for a pronoun). */
interface Piece {
  word: string;
  term?: Term;
}

/** Joins rendered words, keeping hyphens, "LGBTQ+" and in-clause commas where the speaker put them. */
function joinPieces(pieces: Piece[]): string {
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

const piecesOf = (terms: Term[], words = terms.map(surface)): Piece[] =>
  terms.map((term, i) => ({ word: words[i] ?? '', term }));

/** Display form of a name: edge punctuation, a possessive and a leading article removed, case kept. */
function cleanName(s: string): string {
  return s
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}+]+$/gu, '')
    .replace(/'s$|'$/i, '')
    .replace(/^(?:the|a|an|this|that|these|those)\s+/i, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const possessive = (name: string): string => (name.endsWith('s') ? `${name}'` : `${name}'s`);

function localStart(d: Date, unit: 'day' | 'month' | 'year'): number {
  if (unit === 'year') return new Date(d.getFullYear(), 0, 1).getTime();
  if (unit === 'month') return new Date(d.getFullYear(), d.getMonth(), 1).getTime();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** An absolute phrase at the precision the speaker gave, keeping prepositions that change the meaning ("since"). */
function resolveDate(result: chrono.ParsedResult, precedingPreposition: string | undefined): ResolvedDate {
  const spoken = result.text.toLowerCase();
  const firstWord = spoken.split(/\s+/)[0] ?? '';
  const given = precedingPreposition ?? (DATE_PREPOSITIONS.has(firstWord) ? firstWord : undefined);
  const keep = given && !['on', 'in', 'at', 'during'].includes(given) ? given : undefined;
  const d = result.start.date();
  const c = result.start;
  const dayKnown = c.isCertain('day') || c.isCertain('weekday') || c.isCertain('hour');
  let absolute: string;
  let prep: string;
  let validFrom: number;
  if (spoken.includes('weekend')) {
    // chrono may land on the Sunday; a weekend is named by its Saturday.
    const saturday = d.getDay() === 0 ? new Date(d.getFullYear(), d.getMonth(), d.getDate() - 1) : d;
    [absolute, prep, validFrom] = [`the weekend of ${FACT_DAY.format(saturday)}`, 'on', localStart(saturday, 'day')];
  } else if (spoken.includes('week')) {
    [absolute, prep, validFrom] = [`the week of ${FACT_DAY.format(d)}`, 'in', localStart(d, 'day')];
  } else if (!dayKnown && c.isCertain('month')) {
    [absolute, prep, validFrom] = [FACT_MONTH.format(d), 'in', localStart(d, 'month')];
  } else if (!dayKnown && c.isCertain('year')) {
    [absolute, prep, validFrom] = [String(d.getFullYear()), 'in', localStart(d, 'year')];
  } else {
    // Includes "this morning", where chrono is certain of nothing but the day is the message's own.
    [absolute, prep, validFrom] = [FACT_DAY.format(d), 'on', localStart(d, 'day')];
  }
  return { phrase: `${keep ?? prep} ${absolute}`, validFrom };
}

// compromise's own verb inflection, called directly: parsing a one-word document per verb cost more
// than the rest of the extraction put together.
type VerbForms = { PresentTense?: string };
const verbTransform = (
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
const nlpModel = nlp.model();

/** The lemma of a verb term, read with the tense compromise tagged it with ("went" -> "go", "drawn" -> "draw"). */
function lemmaOf(t: Term): string {
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

function thirdPerson(lemma: string): string {
  return verbTransform.conjugate(lemma, nlpModel)?.PresentTense ?? lemma;
}

/** One verb word made to agree with a named singular subject: "am" -> "is", "live" -> "lives". */
function agreeWord(t: Term): string {
  const swap = FIRST_PERSON_FORMS[t.word];
  if (swap) return swap;
  const base = has(t, 'Infinitive') || (has(t, 'PresentTense') && !has(t, 'Gerund'));
  if (base && !isAux(t) && !has(t, 'Copula')) return thirdPerson(t.word);
  return surface(t);
}

/** A verb other than a gerund shows up within the next few words: the words after a conjunction are a new clause. */
function verbSoon(terms: Term[], from: number): boolean {
  for (let j = from; j < Math.min(terms.length, from + 5); j++) {
    const t = terms[j] as Term;
    if (isVerb(t) && !has(t, 'Gerund') && !has(t, 'Particle')) return true;
    if (has(t, 'Preposition') || /[,;.!?]/.test(t.post)) return false;
  }
  return false;
}

/** Splits a sentence where a new clause starts, so each fact keeps to one clause. */
function splitClauses(terms: Term[]): Term[][] {
  const clauses: Term[][] = [];
  let current: Term[] = [];
  let dependent = false;
  terms.forEach((t, i) => {
    const prev = terms[i - 1];
    let cut = false;
    if (prev) {
      const startsClause =
        (has(t, 'Pronoun') && CLAUSE_PRONOUNS.has(t.word)) ||
        has(t, 'QuestionWord') ||
        has(t, 'Expression') ||
        SUBORDINATORS.has(t.word) ||
        (isVerb(t) && !has(t, 'Gerund'));
      const clauseHasVerb = current.some((c) => isVerb(c) && !has(c, 'Gerund'));
      // "and"/"or" also join noun phrases ("counseling and mental health is ..."), so they only start a
      // clause before a pronoun, a determiner or a verb; "but"/"so" start one whenever a verb follows.
      const joinsNouns = t.word === 'and' || t.word === 'or' || t.word === '&';
      let n = i + 1;
      while (has(terms[n], 'Adverb')) n++;
      const opensClause =
        has(t, 'Conjunction') &&
        t.word !== 'to' &&
        clauseHasVerb &&
        verbSoon(terms, i + 1) &&
        (!joinsNouns ||
          ['Pronoun', 'Determiner', 'Possessive'].some((tag) => has(terms[n], tag)) ||
          (isVerb(terms[n]) && !has(terms[n], 'Gerund')));
      // A colon before a capitalised word is usually a title ("Counter-Strike: Global Offensive").
      if (/[;\u2013\u2014]|\s-/.test(prev.post) || (prev.post.includes(':') && !has(t, 'ProperNoun'))) cut = true;
      else if (prev.post.includes(',')) cut = dependent || startsClause || opensClause || verbSoon(terms, i);
      else if (opensClause) cut = true;
    }
    if (cut && current.length > 0) {
      clauses.push(current);
      current = [];
      dependent = false;
    }
    if (current.every((c) => has(c, 'Expression') || has(c, 'Conjunction')) && SUBORDINATORS.has(t.word)) {
      dependent = true;
    }
    current.push(t);
  });
  if (current.length > 0) clauses.push(current);
  return clauses;
}

function weGroup(msg: ExtractMessage, inclusive: boolean): { text: string; people: string[] } {
  if (inclusive && msg.others.length > 0) {
    const people = [msg.speaker, ...msg.others];
    return { text: `${people.slice(0, -1).join(', ')} and ${people.at(-1)}`, people };
  }
  return { text: `${msg.speaker} and others`, people: [msg.speaker] };
}

/** Renders words with the speaker's pronouns resolved to names, and the people they turned into. */
function renderTerms(terms: Term[], ctx: MessageContext): { pieces: Piece[]; text: string; people: string[] } {
  const { msg, inclusive } = ctx;
  const other = msg.others.length === 1 ? msg.others[0] : undefined;
  const words: string[] = [];
  const people: string[] = [];
  // After "I" or "you" became a name, the verb that follows must agree: "the people you work with".
  let agreeNext: 'yes' | 'if-auxiliary' | 'no' = 'no';
  terms.forEach((t, i) => {
    let w = surface(t);
    const auxiliary = isAux(t) || has(t, 'Copula') || FIRST_PERSON_FORMS[t.word] !== undefined;
    if (isVerb(t) && (agreeNext === 'yes' || (agreeNext === 'if-auxiliary' && auxiliary))) w = agreeWord(t);
    agreeNext = 'no';
    // "me-time" is not about the speaker.
    const pronoun = personalPronoun(t, terms[i - 1]) && !glued(t) && !glued(terms[i - 1]);
    if (!pronoun) {
      words.push(w);
      return;
    }
    const g = weGroup(msg, inclusive);
    const swaps: Record<string, [string, string[]] | undefined> = {
      i: [msg.speaker, [msg.speaker]],
      me: [msg.speaker, [msg.speaker]],
      myself: [msg.speaker, [msg.speaker]],
      my: [possessive(msg.speaker), [msg.speaker]],
      mine: [possessive(msg.speaker), [msg.speaker]],
      you: other ? [other, [other]] : undefined,
      yourself: other ? [other, [other]] : undefined,
      your: other ? [possessive(other), [other]] : undefined,
      yours: other ? [possessive(other), [other]] : undefined,
      we: [g.text, g.people],
      us: [g.text, g.people],
      our: [inclusive ? possessive(g.text) : possessive(msg.speaker), g.people],
      ours: [inclusive ? possessive(g.text) : possessive(msg.speaker), g.people],
      ourselves: ['themselves', []],
    };
    const swap = swaps[t.word];
    if (swap) {
      w = swap[0];
      people.push(...swap[1]);
      // "you" after a verb or preposition may be an object ("helping you express", verb stays bare) or a
      // subject ("hear you've got"); only an auxiliary after it settles that.
      const prev = terms[i - 1];
      const objectLike = t.word === 'you' && (isVerb(prev) || has(prev, 'Preposition'));
      agreeNext = t.word === 'i' || t.word === 'you' ? (objectLike ? 'if-auxiliary' : 'yes') : 'no';
    }
    words.push(w);
  });
  const pieces = piecesOf(terms, words);
  return { pieces, text: joinPieces(pieces), people: [...new Set(people)] };
}

const PERSONAL = new Set(['i', 'me', 'my', 'myself', 'you', 'your', 'yours', 'yourself', 'we', 'our', 'ours']);

/**
 * compromise does not always tag these as pronouns ("me & my students", "Andrew's girl & I"), but the
 * words are unambiguous, except "us" (the US) and "mine" (a coal mine), which need the tag or a frame.
 */
function personalPronoun(t: Term, prev: Term | undefined): boolean {
  if (has(t, 'Pronoun') || has(t, 'Possessive')) return true;
  if (t.word === 'i') return t.text === 'I' || t.text === '';
  if (t.word === 'us') return t.text !== 'US';
  if (t.word === 'mine') return !has(prev, 'Determiner') && !has(prev, 'Adjective') && !has(prev, 'Noun');
  return PERSONAL.has(t.word);
}

function resolveSubject(terms: Term[], ctx: MessageContext): Subject | undefined {
  const { msg } = ctx;
  let phrase = terms;
  const contentTags = ['Noun', 'Pronoun', 'Determiner', 'Adjective', 'Possessive', 'ProperNoun', 'Value', 'Acronym'];
  const nounLike = (t: Term) =>
    (contentTags.some((tag) => has(t, tag)) && !(isVerb(t) && !has(t, 'Noun'))) || t.word === 'and' || t.word === '&';
  // "So cool you found ...", "Great that you're ...": the subject is the pronoun right before the verb.
  const pronounAt = phrase.findLastIndex((t) => has(t, 'Pronoun') && !has(t, 'Possessive'));
  if (pronounAt >= 0 && !['and', '&'].includes(phrase[pronounAt - 1]?.word ?? '')) {
    const before = phrase[pronounAt - 1];
    if (before && (has(before, 'Preposition') || SUBORDINATORS.has(before.word))) return undefined;
    // "the people I met": a noun then a pronoun opens a relative clause, not the subject.
    if (before && has(before, 'Noun') && !has(before, 'Pronoun') && pronounAt === phrase.length - 1) return undefined;
    phrase = phrase.slice(pronounAt);
  }
  if (!phrase.every(nounLike) || phrase.some((t) => has(t, 'Date'))) return undefined;
  // A list ("running, reading, or playing") or an aside before the verb is not one subject.
  if (phrase.some((t) => t.post.includes(','))) return undefined;
  const first = phrase[0] as Term;
  if (isVerb(first) || THIRD_PERSON_POSSESSIVES.has(first.word)) return undefined;

  if (phrase.length === 1) {
    if (has(first, 'Pronoun') && !SUBJECT_PRONOUNS.has(first.word)) return undefined;
    if (first.word === 'i') return { field: msg.speaker, text: msg.speaker, people: [msg.speaker], singular: true };
    if (first.word === 'we') {
      const g = weGroup(msg, ctx.inclusive);
      return { field: msg.speaker, text: g.text, people: g.people, singular: false };
    }
    if (first.word === 'you') {
      if (msg.others.length !== 1) return undefined;
      const other = msg.others[0] as string;
      return { field: other, text: other, people: [other], singular: true };
    }
  }
  const content = phrase.filter((t) => !DETERMINERS.has(t.word));
  if (content.length === 0 || (content.length === 1 && NON_REFERRING.has((content[0] as Term).word))) return undefined;

  const { text, people } = renderTerms(phrase, ctx);
  const named = ctx.named.filter((n) => phrase.some((t) => n.ids.has(t.id))).map((n) => n.name);
  // "Jolene and I", "me and my team" are about the speaker; "my kids" is about the kids.
  const mentionsSpeaker = phrase.some((t) => ['i', 'me', 'we', 'us'].includes(t.word) && !has(t, 'Possessive'));
  const field = mentionsSpeaker ? msg.speaker : cleanName(text);
  return { field, text, people: [...new Set([...people, ...named])], singular: false };
}

function clauseDate(clause: Term[], sentence: Term[], ctx: MessageContext, future: boolean) {
  const start = clause[0]?.start ?? 0;
  const end = clause.at(-1)?.end ?? 0;
  const dateIds = new Set<string>();
  let resolved: ResolvedDate | undefined;
  for (const d of ctx.dates.filter((m) => m.start >= start && m.start < end)) {
    const covered = clause.filter((t) => t.end > d.start && t.start < d.end);
    // "in the last month": the article and preposition chrono left outside go with the date.
    let at = sentence.findIndex((t) => t.id === covered[0]?.id) - 1;
    if (sentence[at]?.word === 'the') covered.push(sentence[at--] as Term);
    const before = sentence[at];
    const prep = before && has(before, 'Preposition') && DATE_PREPOSITIONS.has(before.word) ? before : undefined;
    for (const t of covered) dateIds.add(t.id);
    if (prep && clause.includes(prep)) dateIds.add(prep.id);
    const result = future && d.future ? d.future : d.past;
    if (result) resolved ??= resolveDate(result, prep?.word);
  }
  return { resolved, dateIds };
}

/** The noun phrase an object opens with, as the notable thing it names ("LGBTQ support group"). */
function objectThing(terms: Term[], named: NamedMention[]): string | undefined {
  let i = 0;
  const skipDeterminers = () => {
    while (i < terms.length && (DETERMINERS.has((terms[i] as Term).word) || has(terms[i], 'Possessive'))) i++;
  };
  skipDeterminers();
  if (QUANTITIES.has(terms[i]?.word ?? '')) {
    if (terms[i + 1]?.word !== 'of') return undefined;
    i += 2;
    skipDeterminers();
  }
  const phrase: Term[] = [];
  for (; i < terms.length; i++) {
    const t = terms[i] as Term;
    const nounish = (has(t, 'Noun') || has(t, 'Acronym')) && !has(t, 'Pronoun') && !has(t, 'Date');
    const hyphenated = glued(phrase.at(-1));
    if (!(nounish || hyphenated || has(t, 'Adjective'))) break;
    phrase.push(t);
    if (/[,;:.!?()\u2013\u2014]/.test(t.post) || /\s-/.test(t.post)) break;
  }
  while (phrase.length > 0 && !has(phrase.at(-1), 'Noun') && !has(phrase.at(-1), 'Acronym')) phrase.pop();
  while (glued(phrase.at(-1))) phrase.pop();
  if (phrase.length === 0) return undefined;
  // A phrase that is exactly a recognised name is already an entity of its own kind.
  if (named.some((n) => phrase.every((t) => n.ids.has(t.id)))) return undefined;
  const written = piecesOf(
    phrase,
    phrase.map((t) => t.text),
  );
  const name = cleanName(joinPieces(written));
  return name && !GENERIC_THINGS.has(name.toLowerCase()) ? name : undefined;
}

/** Tries the clause with the verb at `verbIndex`; 'no-subject' lets the caller try a later verb. */
function factAt(
  clause: Term[],
  verbIndex: number,
  sentence: Term[],
  ctx: MessageContext,
  inherited: Subject | undefined,
): Draft | 'no-subject' | undefined {
  const { msg } = ctx;
  const inVerb = (t: Term | undefined, ids: Set<string>) => t !== undefined && ids.has(t.id);

  // The verb group: compromise's phrase, plus a following phrase when this one is only "be" or an
  // auxiliary ("I'm" + "still thinking", "I'm" + "so relieved").
  const first = ctx.verbByFirstId.get((clause[verbIndex] as Term).id) as VerbPhrase;
  let ids = new Set(first.ids);
  let negative = first.negative;
  let passive = first.passive;
  let end = verbIndex;
  while (end < clause.length && inVerb(clause[end], ids)) end++;
  const hasMain = () => clause.slice(verbIndex, end).some((t) => isVerb(t) && !isAux(t) && !has(t, 'Copula'));
  if (!hasMain()) {
    let k = end;
    while (k < clause.length && has(clause[k], 'Adverb')) k++;
    const next = clause[k] ? ctx.verbByFirstId.get((clause[k] as Term).id) : undefined;
    const nextMain = next && clause.find((t) => t.id === next.ids.at(-1));
    if (next && nextMain && (has(nextMain, 'Gerund') || has(nextMain, 'PastTense') || has(nextMain, 'Participle'))) {
      ids = new Set([...ids, ...clause.slice(end, k).map((t) => t.id), ...next.ids]);
      negative ||= next.negative;
      passive ||= next.passive;
      while (end < clause.length && inVerb(clause[end], ids)) end++;
    }
  }
  const group = clause.slice(verbIndex, end);
  let mainIndex = group.findIndex((t) => isVerb(t) && !isAux(t) && !has(t, 'Copula') && !has(t, 'Particle'));
  if (mainIndex < 0) mainIndex = group.findLastIndex((t) => isVerb(t));
  if (mainIndex < 0) return undefined;
  // "was thought-provoking": a hyphenated word after "be" is a complement, not a passive.
  const beAt = group.findLastIndex((t, i) => i < mainIndex && BE_FORMS.has(t.word));
  if (glued(group[mainIndex]) && beAt >= 0) mainIndex = beAt;
  let main = group[mainIndex] as Term;
  let verbEnd = mainIndex + 1;
  while (verbEnd < group.length && has(group[verbEnd], 'Particle')) verbEnd++;
  let verbTerms = group.slice(0, verbEnd);
  // Whatever compromise glued on after the main verb ("went camping", "love that") is the object's.
  let rest = [...group.slice(verbEnd), ...clause.slice(end)];

  const aux = group.slice(0, mainIndex).filter((t) => isVerb(t));
  const auxWords = aux.map((t) => t.word);
  // "is gonna be" comes as one phrase with "going" "to" as auxiliaries; "have to" is an obligation, not a perfect.
  const obliged = auxWords.some((w, i) => ['have', 'has', 'had'].includes(w) && auxWords[i + 1] === 'to');
  let modal =
    auxWords.find((w) => MODALS.has(w)) ?? (auxWords.includes('going') ? 'will' : obliged ? 'have to' : undefined);
  const beAux = auxWords.some((w) => BE_FORMS.has(w));
  const particles = group.slice(mainIndex + 1, verbEnd).map((t) => t.word);
  let lemma = lemmaOf(main);
  passive ||= beAux && !has(main, 'Gerund') && (has(main, 'PastTense') || has(main, 'Participle'));

  // "is going to visit Paris", "gonna submit it": the plan is the visit, not the going.
  const nextVerb = rest[1] && ctx.verbByFirstId.get((rest[1] as Term).id);
  if (lemma === 'go' && has(main, 'Gerund') && rest[0]?.word === 'to' && nextVerb) {
    const nextIds = new Set(nextVerb.ids);
    let k = 1;
    while (k < rest.length && inVerb(rest[k], nextIds)) k++;
    verbTerms = [...verbTerms, ...rest.slice(0, k)];
    main = rest[1] as Term;
    lemma = lemmaOf(main);
    rest = rest.slice(k);
    modal = 'will';
    passive = false;
  }

  const firstVerb = verbTerms.find((t) => isVerb(t)) as Term;
  const past = PAST_AUX.has(firstVerb.word) || (!PRESENT_AUX.has(firstVerb.word) && has(firstVerb, 'PastTense'));
  const perfect = ['have', 'has', 'had'].includes(firstVerb.word) && firstVerb !== main && !obliged;
  const progressive = has(main, 'Gerund') && beAux;
  const future = modal === 'will' || modal === 'shall' || (progressive && !past);

  const { resolved, dateIds } = clauseDate(clause, sentence, ctx, future);
  const before = clause.slice(0, verbIndex).filter((t) => !dateIds.has(t.id));
  let objectTerms = rest.filter((t) => !dateIds.has(t.id));

  // Subject: what stands before the verb once greetings, fillers and vocatives are set aside.
  let s = 0;
  const filler = (t: Term) =>
    has(t, 'Expression') ||
    has(t, 'Conjunction') ||
    has(t, 'Adverb') ||
    (has(t, 'Person') && t.post.includes(',')) ||
    (has(t, 'QuestionWord') && !SUBORDINATORS.has(t.word));
  while (s < before.length && filler(before[s] as Term)) s++;
  if (SUBORDINATORS.has(before[s]?.word ?? '')) return undefined;
  let subjectTerms = before.slice(s);
  // Adverbs between subject and verb ("Caroline really likes") read with the verb.
  let trailing = subjectTerms.length;
  while (trailing > 0 && has(subjectTerms[trailing - 1], 'Adverb')) trailing--;
  const preAdverbs = subjectTerms.slice(trailing);
  subjectTerms = subjectTerms.slice(0, trailing);

  let subject: Subject | undefined;
  let implied = false;
  // "I live in Boston and work at Google": a clause opened by "and" + verb shares the last subject,
  // unless its verb is a bare participle ("and given me courage") that would read wrongly without "has".
  const sharesSubject =
    inherited !== undefined && s > 0 && has(before[0], 'Conjunction') && !has(main, 'Participle') && aux.length === 0;
  if (subjectTerms.length === 0 && sharesSubject) {
    subject = inherited;
  } else if (subjectTerms.length === 0) {
    implied = IMPLIED_FIRST_PERSON.has(lemma) && aux.length === 0 && !has(main, 'PastTense') && main === firstVerb;
    if (!implied) return 'no-subject';
    subject = { field: msg.speaker, text: msg.speaker, people: [msg.speaker], singular: true };
  } else {
    // A subject the rules cannot resolve ("It reminds me of the camera I had") ends the clause: a later
    // verb would only find a relative clause.
    subject = resolveSubject(subjectTerms, ctx);
    if (!subject && !subjectTerms.some((t) => isVerb(t))) return undefined;
  }
  if (!subject) return 'no-subject';
  // "see you finding a community": a bare gerund after a subject is not a clause of its own.
  if (!implied && has(main, 'Gerund') && !beAux && aux.length === 0 && modal === undefined) return 'no-subject';

  // Trailing vocative ("..., Mel") and dependent tails ("... when things get busy") are not the object.
  const vocative = objectTerms.findIndex((t) => has(t, 'Person') && clause[clause.indexOf(t) - 1]?.post.includes(','));
  if (vocative >= 0 && vocative >= objectTerms.length - 2) objectTerms = objectTerms.slice(0, vocative);
  const tail = objectTerms.findIndex((t, i) => i > 0 && SUBORDINATORS.has(t.word));
  if (tail > 0) objectTerms = objectTerms.slice(0, tail);
  while (objectTerms.length > 0 && /^\p{P}*$/u.test((objectTerms.at(-1) as Term).text)) objectTerms.pop();

  // Predicate: "be keen on", "be swamped with", "be at"; other verbs take a leading preposition ("go to").
  const isBe = lemma === 'be' && !passive;
  let absorbed = 0;
  // "drawn to turtles" takes "to" into the predicate; "love to paint", "is off to go" keep it with its verb.
  const infinitiveTo = (k: number) => {
    if (objectTerms[k]?.word !== 'to') return false;
    let j = k + 1;
    while (has(objectTerms[j], 'Adverb')) j++;
    return isVerb(objectTerms[j]);
  };
  const prepLike = (k: number) =>
    !infinitiveTo(k) &&
    !WH_WORDS.has(objectTerms[k]?.word ?? '') &&
    (has(objectTerms[k], 'Preposition') || has(objectTerms[k], 'Particle') || objectTerms[k]?.word === 'to');
  const absorbPreps = (k: number) => {
    while (k < objectTerms.length && prepLike(k)) k++;
    return k;
  };
  if (isBe) {
    let k = 0;
    while (k < objectTerms.length && (has(objectTerms[k], 'Adverb') || has(objectTerms[k], 'Negative'))) k++;
    const head = objectTerms[k];
    if (prepLike(k)) absorbed = absorbPreps(k);
    else if ((has(head, 'Adjective') || has(head, 'Participle')) && prepLike(k + 1)) absorbed = absorbPreps(k + 1);
  } else {
    absorbed = absorbPreps(0);
  }
  const absorbedTerms = objectTerms.slice(0, absorbed);
  const objectCore = objectTerms.slice(absorbed);
  const head = passive ? ['be', main.word] : [lemma];
  const predicate = [
    modal,
    negative ? 'not' : undefined,
    ...head,
    ...particles,
    ...absorbedTerms.filter((t) => !has(t, 'Adverb') && !has(t, 'Negative')).map((t) => t.word),
  ]
    .filter(Boolean)
    .join(' ');

  const rendered = renderTerms(objectCore, ctx);
  // "is not sure": the "not" is already in the predicate.
  const negatedLead = has(objectCore[0], 'Negative') ? 1 : 0;
  let objectField = joinPieces(rendered.pieces.slice(negatedLead)).replace(/,$/, '');
  const firstWord = objectField.split(' ')[0]?.toLowerCase() ?? '';
  if (DETERMINERS.has(firstWord)) objectField = objectField.slice(firstWord.length).trim();
  const saysSomething = objectCore.some((t) =>
    ['Noun', 'Adjective', 'Value', 'Verb', 'Acronym', 'ProperNoun'].some((tag) => has(t, tag)),
  );
  const empty = EMPTY_OBJECTS.has(objectField.toLowerCase());
  if ((!saysSomething || empty) && !resolved) return undefined;
  if (empty) objectField = '';

  let verbPieces: Piece[];
  if (implied) {
    verbPieces = [{ word: thirdPerson(lemma) }, ...particles.map((word) => ({ word }))];
  } else {
    const terms = [...preAdverbs, ...verbTerms];
    const agreeAt = terms.findIndex((t) => isVerb(t));
    verbPieces = piecesOf(
      terms,
      terms.map((t, i) => (subject.singular && i === agreeAt ? agreeWord(t) : surface(t))),
    );
  }
  const absorbedPieces = renderTerms(absorbedTerms, ctx).pieces;
  const body = joinPieces([{ word: subject.text }, ...verbPieces, ...absorbedPieces, ...rendered.pieces]);
  const text = `${capitalise(body.replace(/,$/, ''))}${resolved ? ` ${resolved.phrase}` : ''}.`;
  const relation = joinPieces([...verbPieces, ...absorbedPieces]).toLowerCase();

  // An ongoing "I'm feeling hopeful" is a state; a dated "I'm flying out on Friday" is a plan.
  const stateful = !resolved && !modal && !past && (!perfect || has(main, 'Gerund'));

  const position = (n: NamedMention) => objectTerms.findIndex((t) => n.ids.has(t.id));
  const objectNamed = ctx.named.filter((n) => position(n) >= 0).sort((a, b) => position(a) - position(b));
  // "is a great counselor" describes the subject; it does not name a thing of its own.
  const describes = isBe && absorbed === 0;
  const thing = describes ? undefined : objectThing(objectCore, ctx.named);
  const objectEntities = [
    ...new Set([...objectNamed.map((n) => n.name), ...(thing ? [thing] : []), ...rendered.people]),
  ];

  return {
    fact: {
      text,
      subject: subject.field,
      predicate,
      object: objectField,
      validFrom: resolved?.validFrom ?? msg.timestamp,
      stateful,
      entities: [],
      sourceMessageIds: [msg.id],
    },
    subject,
    shareable: !modal && !objectTerms.some((t) => isVerb(t)),
    relation: describes ? 'mentioned with' : relation,
    subjectEntities: subject.people,
    objectEntities,
  };
}

function clauseFact(
  clause: Term[],
  sentence: Term[],
  ctx: MessageContext,
  inherited: Subject | undefined,
): Draft | undefined {
  // compromise sometimes tags a word before the real verb as one ("So cool you found ..."), so a verb
  // that yields no subject hands over to the next.
  for (let i = 0; i < clause.length; i++) {
    if (!ctx.verbByFirstId.has((clause[i] as Term).id)) continue;
    const outcome = factAt(clause, i, sentence, ctx, inherited);
    if (outcome !== 'no-subject') return outcome;
  }
  return undefined;
}

function rawJson<T>(view: { json: (opts?: object) => unknown }, opts?: object): T[] {
  return view.json(opts) as T[];
}

class EntityRegistry {
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

  canonical(name: string): string {
    const key = normalizeKey(cleanName(name));
    return this.aliasOf.get(key) ?? this.byKey.get(key)?.name ?? cleanName(name);
  }

  entities(): ExtractedEntity[] {
    return [...this.byKey.values()].map(({ name, kind, aliases }) => ({ name, kind, aliases: [...new Set(aliases)] }));
  }
}

function analyseMessage(msg: ExtractMessage, registry: EntityRegistry, lexicon: Record<string, string>): Draft[] {
  const doc = nlp(msg.text, lexicon);
  // compromise reads "like" after "don't" as a preposition; it is the verb being negated.
  const negatedLike = doc.match('(do|does|did) not like').match('like');
  if (negatedLike.found) {
    negatedLike.tag('Verb').tag('PresentTense');
    doc.compute('chunks');
  }

  const verbByFirstId = new Map<string, VerbPhrase>();
  for (const v of rawJson<RawVerb>(doc.verbs())) {
    const phrase: VerbPhrase = {
      ids: v.terms.map((t) => t.id),
      negative: v.verb.negative,
      passive: v.verb.grammar.passive ?? false,
    };
    if (phrase.ids[0]) verbByFirstId.set(phrase.ids[0], phrase);
  }

  const named: NamedMention[] = [];
  const kinds: Array<[{ json: (opts?: object) => unknown }, EntityKind]> = [
    [doc.people(), 'person'],
    [doc.places(), 'place'],
    [doc.organizations(), 'organization'],
  ];
  for (const [view, kind] of kinds) {
    for (const m of rawJson<RawSentence>(view)) {
      const terms = m.terms.filter((t) => !['the', 'a', 'an'].includes(t.normal));
      // compromise tags some lower-case phrases ("the kids & work") as names; a name is written with a capital.
      if (terms.length === 0 || !terms.every((t) => /^\p{Lu}/u.test(t.text) || t.text === '&')) continue;
      const name = registry.add(terms.map((t) => t.text).join(' '), kind);
      if (name) named.push({ ids: new Set(m.terms.map((t) => t.id)), name, kind });
    }
  }

  const ref = new Date(msg.timestamp);
  const ahead = chrono.parse(msg.text, ref, { forwardDate: true });
  const dates: DateMention[] = chrono
    .parse(msg.text, ref)
    // "for 3 years" is a duration; chrono would date it three years ahead.
    .filter((r) => !r.text.toLowerCase().startsWith('for '))
    .map((r) => {
      const timeless = NOT_A_DATE.has(r.text.toLowerCase());
      return {
        start: r.index,
        end: r.index + r.text.length,
        past: timeless ? undefined : r,
        future: timeless ? undefined : ahead.find((f) => f.index === r.index),
      };
    });

  const drafts: Draft[] = [];
  for (const raw of rawJson<RawSentence>(doc, { offset: true })) {
    const terms = raw.terms.map(toTerm);
    if (isQuestion(terms)) continue;
    const inclusive = terms.some((t) => t.word === 'together' || t.word === 'both');
    const ctx: MessageContext = { msg, verbByFirstId, named, dates, inclusive };
    let subject: Subject | undefined;
    for (const clause of splitClauses(terms)) {
      const draft = clauseFact(clause, terms, ctx, subject);
      if (draft) drafts.push(draft);
      subject = draft?.shareable ? draft.subject : undefined;
    }
  }
  return drafts;
}

/**
 * A question asks rather than tells. Chat drops question marks ("What now"), so a sentence that opens
 * with a question word counts too, unless an exclamation or a comma says otherwise ("How cool is that!").
 */
function isQuestion(terms: Term[]): boolean {
  const last = terms.at(-1);
  if (!last || last.post.includes('?')) return true;
  const first = terms.find((t) => !has(t, 'Expression'));
  return has(first, 'QuestionWord') && !last.post.includes('!') && !terms.some((t) => t.post.includes(','));
}

/** Participant names compromise would not tag as people on its own. */
function participantLexicon(input: ExtractInput): Record<string, string> {
  const lexicon: Record<string, string> = {};
  const names = new Set(input.messages.flatMap((m) => [m.speaker, ...m.others]));
  for (const name of names) {
    const doc = nlp(name);
    // A participant called "Will" or "May" must not turn every modal or month into a person.
    if (doc.has('#Person') || doc.has('(#Verb|#Modal|#Date|#Preposition|#Determiner|#Pronoun|#Adjective)')) continue;
    lexicon[name.toLowerCase()] = 'Person';
  }
  return lexicon;
}

function extract(input: ExtractInput): Extraction {
  const registry = new EntityRegistry();
  for (const m of input.messages) {
    registry.add(m.speaker, 'person', true);
    for (const o of m.others) registry.add(o, 'person', true);
  }
  const lexicon = participantLexicon(input);
  const drafts = input.messages.flatMap((m) => analyseMessage(m, registry, lexicon));
  for (const d of drafts) {
    for (const name of d.objectEntities) registry.add(name, 'thing');
    // A common-noun subject ("The support group has made ...") is a thing the fact is about.
    if (d.subjectEntities.length === 0) registry.add(d.fact.subject, 'thing');
  }
  registry.mergeAliases();

  const facts = new Map<string, ExtractedFact>();
  const relationships = new Map<string, ExtractedRelationship>();
  const relate = (from: string, to: string, kind: string, ids: string[]) => {
    if (from === to) return;
    // A co-mention has no direction, so one order is kept.
    const [a, b] = kind === 'mentioned with' && to < from ? [to, from] : [from, to];
    const key = `${normalizeKey(a)}|${kind}|${normalizeKey(b)}`;
    const existing = relationships.get(key);
    if (existing) existing.sourceMessageIds = [...new Set([...existing.sourceMessageIds, ...ids])];
    else relationships.set(key, { from: a, to: b, kind, sourceMessageIds: [...ids] });
  };

  for (const d of drafts) {
    const subjects = [
      ...new Set(
        (d.subjectEntities.length > 0 ? d.subjectEntities : [d.fact.subject]).map((n) => registry.canonical(n)),
      ),
    ];
    const objects = [...new Set(d.objectEntities.map((n) => registry.canonical(n)))].filter(
      (n) => !subjects.includes(n),
    );
    const fact: ExtractedFact = {
      ...d.fact,
      subject: registry.canonical(d.fact.subject),
      entities: [...subjects, ...objects],
    };
    // Said twice in one episode is one fact with two sources.
    const key = [fact.subject, fact.predicate, fact.object, String(fact.validFrom)].map(normalizeKey).join('|');
    const existing = facts.get(key);
    if (existing) existing.sourceMessageIds = [...new Set([...existing.sourceMessageIds, ...fact.sourceMessageIds])];
    else facts.set(key, fact);

    const ids = fact.sourceMessageIds;
    const [primary, ...more] = objects;
    for (const s of subjects) {
      if (primary) relate(s, primary, d.relation, ids);
      for (const o of more) relate(s, o, 'mentioned with', ids);
    }
    const pairs = (list: string[]) => list.flatMap((a, i) => list.slice(i + 1).map((b) => [a, b] as const));
    for (const [a, b] of [...pairs(subjects), ...pairs(objects)]) relate(a, b, 'mentioned with', ids);
  }

  return {
    facts: [...facts.values()],
    entities: registry.entities(),
    relationships: [...relationships.values()],
    via: 'rules',
  };
}

export function createRuleExtractor(): Extractor {
  return {
    extract: async (input) => extract(input),
  };
}
