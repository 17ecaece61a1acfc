/**
 * One clause to one fact: its verb group, its subject, its predicate ("go to", "be keen on") and object, its date,
 * whether it is a state or an event, and the entities it names.
 */

import { clauseDate } from './rules-dates';
import { type MessageContext, renderTerms, resolveSubject, type Subject } from './rules-subject';
import {
  agreeWord,
  BE_FORMS,
  capitalise,
  DETERMINERS,
  EMPTY_OBJECTS,
  glued,
  has,
  IMPLIED_FIRST_PERSON,
  isAux,
  isVerb,
  joinPieces,
  lemmaOf,
  MODALS,
  type NamedMention,
  PAST_AUX,
  type Piece,
  PRESENT_AUX,
  piecesOf,
  SUBORDINATORS,
  surface,
  type Term,
  thirdPerson,
  type VerbPhrase,
  WH_WORDS,
} from './rules-terms';
import type { ExtractedFact } from './types';

export interface Draft {
  fact: ExtractedFact;
  subject: Subject;
  /** A following "and <verb>" clause may take this subject: not after a modal ("can swim and run") or a
   *  verb inside the object ("a way to express my feelings and get creative"), which "and" may continue. */
  shareable: boolean;
  /** How the subject relates to the object's first entity ("went to"), or "mentioned with". */
  relation: string;
  subjectEntities: string[];
  objectEntities: string[];
  /** Kept in the speaker's framing ("Nate said …") because no clause gave a fact. */
  framed?: boolean;
}

/**
 * The relation holds between the subject and the object's first name only when that name is the object
 * ("went to Boston", "met you"), not a word inside a longer phrase ("went to a LGBTQ support group" only mentions LGBTQ).
 */
function namesTheObject(objectCore: Term[], first: NamedMention | undefined): boolean {
  const head = objectCore.findIndex((t) => !DETERMINERS.has(t.word) && !has(t, 'Adverb'));
  const term = objectCore[head];
  if (!term) return false;
  if (!first) return has(term, 'Pronoun') || has(term, 'Possessive');
  if (!first.ids.has(term.id)) return false;
  let last = head;
  while (objectCore[last + 1] && first.ids.has((objectCore[last + 1] as Term).id)) last++;
  const after = objectCore[last + 1];
  return !(has(after, 'Noun') && !has(after, 'Pronoun'));
}

/** A clause's verb group, read from compromise's verb phrases, with its tense, mood and voice. */
interface VerbGroup {
  /** Auxiliaries, the main verb and its particles, as spoken. */
  verbTerms: Term[];
  /** The clause after the verb group: the object, dates and tails. */
  rest: Term[];
  main: Term;
  firstVerb: Term;
  lemma: string;
  aux: Term[];
  modal: string | undefined;
  beAux: boolean;
  particles: string[];
  negative: boolean;
  passive: boolean;
  past: boolean;
  perfect: boolean;
  future: boolean;
}

/**
 * The verb group at `verbIndex`: compromise's phrase, plus a following phrase when this one is only "be" or an
 * auxiliary ("I'm" + "still thinking", "I'm" + "so relieved").
 */
function verbGroupAt(clause: Term[], verbIndex: number, ctx: MessageContext): VerbGroup | undefined {
  const inVerb = (t: Term | undefined, ids: Set<string>) => t !== undefined && ids.has(t.id);

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

  return {
    verbTerms,
    rest,
    main,
    firstVerb,
    lemma,
    aux,
    modal,
    beAux,
    particles,
    negative,
    passive,
    past,
    perfect,
    future,
  };
}

/**
 * The subject: what stands before the verb once greetings, fillers and vocatives are set aside; or the
 * previous clause's, across "and"; or the speaker, for the verbs chat drops it from ("love that!").
 */
function clauseSubject(
  before: Term[],
  verb: VerbGroup,
  ctx: MessageContext,
  inherited: Subject | undefined,
): { subject: Subject; implied: boolean; preAdverbs: Term[] } | 'no-subject' | undefined {
  const { msg } = ctx;
  const { main, lemma, aux, firstVerb } = verb;
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
  return { subject, implied, preAdverbs };
}

/**
 * The predicate: the lemma with its modal, negation and particles, taking the object's leading prepositions
 * ("go to", "be keen on", "be swamped with"); the rest of the object is its core.
 */
function predicateOf(
  objectTerms: Term[],
  verb: VerbGroup,
): { predicate: string; absorbedTerms: Term[]; objectCore: Term[]; isBe: boolean; absorbed: number } {
  const { lemma, passive, main, modal, negative, particles } = verb;
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

  return { predicate, absorbedTerms, objectCore, isBe, absorbed };
}

/** Tries the clause with the verb at `verbIndex`; 'no-subject' lets the caller try a later verb. */
export function factAt(
  clause: Term[],
  verbIndex: number,
  sentence: Term[],
  ctx: MessageContext,
  inherited: Subject | undefined,
): Draft | 'no-subject' | undefined {
  const { msg } = ctx;
  const verb = verbGroupAt(clause, verbIndex, ctx);
  if (!verb) return undefined;
  const { verbTerms, main, lemma, aux, modal, beAux, particles, past, perfect, future } = verb;
  const { resolved, dateIds } = clauseDate(
    clause,
    sentence,
    ctx,
    future ? 'future' : past || perfect ? 'past' : 'present',
  );
  const before = clause.slice(0, verbIndex).filter((t) => !dateIds.has(t.id));
  let objectTerms = verb.rest.filter((t) => !dateIds.has(t.id));

  const who = clauseSubject(before, verb, ctx, inherited);
  if (who === undefined || who === 'no-subject') return who;
  const { subject, implied, preAdverbs } = who;
  // "see you finding a community": a bare gerund after a subject is not a clause of its own.
  if (!implied && has(main, 'Gerund') && !beAux && aux.length === 0 && modal === undefined) return 'no-subject';

  // Trailing vocative ("..., Mel") and dependent tails ("... when things get busy") are not the object.
  const vocative = objectTerms.findIndex((t) => has(t, 'Person') && clause[clause.indexOf(t) - 1]?.post.includes(','));
  if (vocative >= 0 && vocative >= objectTerms.length - 2) objectTerms = objectTerms.slice(0, vocative);
  const tail = objectTerms.findIndex((t, i) => i > 0 && SUBORDINATORS.has(t.word));
  if (tail > 0) objectTerms = objectTerms.slice(0, tail);
  while (objectTerms.length > 0 && /^\p{P}*$/u.test((objectTerms.at(-1) as Term).text)) objectTerms.pop();

  const { predicate, absorbedTerms, objectCore, isBe, absorbed } = predicateOf(objectTerms, verb);

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
  // Names elsewhere in the clause (a date's event, a trailing "with Tom") are mentioned by the fact too.
  const clauseNamed = ctx.named.filter((n) => clause.some((t) => n.ids.has(t.id))).map((n) => n.name);
  const objectEntities = [...new Set([...objectNamed.map((n) => n.name), ...rendered.people, ...clauseNamed])];
  // "is a great counselor" describes the subject; it does not name a thing of its own.
  const describes = isBe && absorbed === 0;
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
    relation: describes || !namesTheObject(objectCore, objectNamed[0]) ? 'mentioned with' : relation,
    subjectEntities: subject.people,
    objectEntities,
  };
}

export function clauseFact(
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
