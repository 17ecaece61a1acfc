/**
 * Who a clause is about: first- and second-person pronouns resolved to the speaker and the listener, "we" to the
 * people who were there, a noun phrase kept as written; and every rendered word with those names in place.
 */

import type { DateMention } from './rules-dates';
import { genderOf } from './rules-pronouns';
import {
  agreeWord,
  cleanName,
  DETERMINERS,
  FIRST_PERSON_FORMS,
  glued,
  has,
  isAux,
  isVerb,
  joinPieces,
  type NamedMention,
  NON_REFERRING,
  type Piece,
  piecesOf,
  possessive,
  SUBJECT_PRONOUNS,
  SUBORDINATORS,
  surface,
  type Term,
  THIRD_PERSON_POSSESSIVES,
  type VerbPhrase,
} from './rules-terms';
import type { ExtractMessage } from './types';

export interface Subject {
  /** The fact's subject field: a name, or a noun phrase ("support group", "Melanie's kids"). */
  field: string;
  /** How it reads in the fact's text ("Jolene and Caroline"). */
  text: string;
  people: string[];
  /** A first- or second-person pronoun became one name, so the verb must agree ("I am" -> "Caroline is"). */
  singular: boolean;
}

export interface MessageContext {
  msg: ExtractMessage;
  verbByFirstId: Map<string, VerbPhrase>;
  named: NamedMention[];
  dates: DateMention[];
  /** The sentence says the listener was there too ("together", "both"), so "we" includes them. */
  inclusive: boolean;
  /** What "he"/"she" and "it" can stand for here: the last person (not a participant) and the last named thing. */
  antecedents: Antecedents;
}

export interface Antecedents {
  person?: string;
  thing?: string;
}

export function weGroup(msg: ExtractMessage, inclusive: boolean): { text: string; people: string[] } {
  if (inclusive && msg.others.length > 0) {
    const people = [msg.speaker, ...msg.others];
    return { text: `${people.slice(0, -1).join(', ')} and ${people.at(-1)}`, people };
  }
  // "We" without the listener is the speaker's own account ("we adopted a dog": Melanie adopted a dog); "Melanie and
  // others" read clumsily and named no one more.
  return { text: msg.speaker, people: [msg.speaker] };
}

/** "myself" said by Jon is "himself" (the clause's subject is Jon), when his name's gender is known; else "Jon". */
function reflexive(name: string): string {
  const g = genderOf(name);
  return g === 'male' ? 'himself' : g === 'female' ? 'herself' : name;
}

/** Renders words with the speaker's pronouns resolved to names, and the people they turned into. */
export function renderTerms(terms: Term[], ctx: MessageContext): { pieces: Piece[]; text: string; people: string[] } {
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
      myself: [reflexive(msg.speaker), [msg.speaker]],
      my: [possessive(msg.speaker), [msg.speaker]],
      mine: [possessive(msg.speaker), [msg.speaker]],
      you: other ? [other, [other]] : undefined,
      yourself: other ? [reflexive(other), [other]] : undefined,
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
      const singularWe = t.word === 'we' && !(inclusive && msg.others.length > 0);
      agreeNext = t.word === 'i' || t.word === 'you' || singularWe ? (objectLike ? 'if-auxiliary' : 'yes') : 'no';
    }
    words.push(w);
  });
  const pieces = piecesOf(terms, words);
  return { pieces, text: joinPieces(pieces), people: [...new Set(people)] };
}

export const PERSONAL = new Set(['i', 'me', 'my', 'myself', 'you', 'your', 'yours', 'yourself', 'we', 'our', 'ours']);

/**
 * compromise does not always tag these as pronouns ("me & my students", "Andrew's girl & I"), but the
 * words are unambiguous, except "us" (the US) and "mine" (a coal mine), which need the tag or a frame.
 */
export function personalPronoun(t: Term, prev: Term | undefined): boolean {
  if (has(t, 'Pronoun') || has(t, 'Possessive')) return true;
  if (t.word === 'i') return t.text === 'I' || t.text === '';
  if (t.word === 'us') return t.text !== 'US';
  if (t.word === 'mine') return !has(prev, 'Determiner') && !has(prev, 'Adjective') && !has(prev, 'Noun');
  return PERSONAL.has(t.word);
}

export function resolveSubject(terms: Term[], ctx: MessageContext): Subject | undefined {
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
    // Coreference: "he"/"she" is the last person named before this sentence who is neither speaker nor listener
    // (they would be "I" and "you"), "it" the last named thing; with no such name the clause keeps no subject.
    const referent =
      first.word === 'he' || first.word === 'she'
        ? ctx.antecedents.person
        : first.word === 'it'
          ? ctx.antecedents.thing
          : undefined;
    // A third-person verb already agrees with the name that replaces its pronoun.
    if (referent) return { field: referent, text: referent, people: [referent], singular: false };
    if (has(first, 'Pronoun') && !SUBJECT_PRONOUNS.has(first.word)) return undefined;
    if (first.word === 'i') return { field: msg.speaker, text: msg.speaker, people: [msg.speaker], singular: true };
    if (first.word === 'we') {
      const g = weGroup(msg, ctx.inclusive);
      return { field: msg.speaker, text: g.text, people: g.people, singular: g.people.length === 1 };
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
