/**
 * The speaker's framing: an informative sentence none of whose clauses gave a fact (its subject is "it", "this",
 * "they" or a relative clause the rules cannot name) is kept as what the speaker said — "Nate said they eat a
 * combination of vegetables, fruits, and insects." — with "I", "you" and "we" resolved, rather than dropped.
 * Questions never reach here; greetings, thanks and reactions ("That's awesome!") are not informative.
 */

import { GENERIC_NOUNS, STOP_WORDS } from '../text';
import type { Draft } from './rules-fact';
import { type MessageContext, PERSONAL, renderTerms } from './rules-subject';
import { BE_FORMS, has, isAux, isVerb, NON_REFERRING, type Term } from './rules-terms';
import { contentPredicate } from './update';

/** Words of reaction and small talk: a sentence made of these and stop words says nothing about anyone. */
const REACTION_WORDS = new Set(
  (
    'wow awesome great cool amazing nice good glad sure yeah yes yep ok okay thanks thank totally definitely really ' +
    'super so very lol haha hey hi hello bye sounds sound seems seem looks look feel feels congrats congratulations ' +
    'love lovely happy sorry incredible fantastic wonderful stunning beautiful gorgeous fun exciting excited ' +
    'interesting true right well oh ah absolutely bet hear heard know glad keep luck cheers'
  ).split(' '),
);

const FUNCTION_VERBS = new Set([
  'am',
  'is',
  'are',
  'was',
  'were',
  'be',
  'been',
  'being',
  'has',
  'had',
  'does',
  'got',
  'get',
]);

/**
 * A fact that says little beyond its subject ("Joanna was awesome.", "That photo looks awesome."): fewer than
 * `min` words after the subject once stop words, reactions and generic nouns are set aside.
 */
export function saysLittle(text: string, subjectText: string, min = 2): boolean {
  const body = text.startsWith(subjectText) ? text.slice(subjectText.length) : text;
  const words = body.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const content = words.filter(
    (w) =>
      !STOP_WORDS.has(w) &&
      !REACTION_WORDS.has(w) &&
      !GENERIC_NOUNS.has(w) &&
      !NON_REFERRING.has(w) &&
      !FUNCTION_VERBS.has(w) &&
      w !== 'said' &&
      w !== 'finds' &&
      w !== 'found',
  );
  return content.length < min;
}

/** Content words: what is left once stop words, reactions, pronouns and generic nouns are set aside. */
function contentWords(terms: Term[], participants: Set<string>): Term[] {
  return terms.filter(
    (t) =>
      ['Noun', 'Adjective', 'Verb', 'Value'].some((tag) => has(t, tag)) &&
      !has(t, 'Pronoun') &&
      !isAux(t) &&
      !BE_FORMS.has(t.word) &&
      !STOP_WORDS.has(t.word) &&
      !REACTION_WORDS.has(t.word) &&
      !GENERIC_NOUNS.has(t.word) &&
      !NON_REFERRING.has(t.word) &&
      !participants.has(t.text),
  );
}

/** A sentence's framed fact, or nothing when it is small talk (fewer than three content words, one a noun). */
export function framedFact(sentence: Term[], ctx: MessageContext): Draft | undefined {
  const { msg } = ctx;
  // An image caption ("[shares an image: …]", as the LoCoMo import writes it) is the app's description, not speech.
  const captionAt = sentence.findIndex(
    (t, i) => t.word === 'shares' && sentence[i + 1]?.word === 'an' && sentence[i + 2]?.word === 'image',
  );
  let terms = captionAt >= 0 ? sentence.slice(0, captionAt) : sentence;
  const participants = new Set([msg.speaker, ...msg.others]);
  // Leading reactions, conjunctions and vocatives ("Wow, Joanna! …", "But …") are not what was said.
  let s = 0;
  while (
    s < terms.length &&
    (has(terms[s], 'Expression') ||
      has(terms[s], 'Conjunction') ||
      (participants.has((terms[s] as Term).text) && (terms[s] as Term).post.includes(',')) ||
      ((terms[s] as Term).post.includes(',') && REACTION_WORDS.has((terms[s] as Term).word)))
  ) {
    s++;
  }
  terms = terms.slice(s);
  const content = contentWords(terms, participants);
  if (content.length < 3 || !content.some((t) => has(t, 'Noun')) || !terms.some((t) => isVerb(t))) return undefined;

  // Chat drops the subject of its own news ("Just got back from a road trip"): that is the speaker's statement.
  let v = 0;
  while (has(terms[v], 'Adverb')) v++;
  const dropped =
    isVerb(terms[v]) && !has(terms[v], 'Gerund') && !has(terms[v], 'Infinitive') && !has(terms[v], 'Imperative');
  const advised = advice(terms.slice(v), ctx);
  if (advised) return advised;
  const judged = dropped ? undefined : evaluation(terms, ctx);
  if (judged) return judged;
  const rendered = renderTerms(terms, ctx);
  let said = rendered.text.replace(/[\s,;:.!?\u2013\u2014-]+$/u, '');
  const first = terms[0] as Term;
  // The first word keeps its capital only when it is a name, or a pronoun that became one.
  if (!has(first, 'ProperNoun') && !(PERSONAL.has(first.word) || first.word === 'i')) {
    said = said.charAt(0).toLowerCase() + said.slice(1);
  }
  if (said === '') return undefined;
  const named = ctx.named.filter((n) => terms.some((t) => n.ids.has(t.id))).map((n) => n.name);
  return speakerClaim(ctx, {
    text: `${msg.speaker} ${dropped ? '' : 'said '}${said}.`,
    verb: dropped ? 'do' : 'say',
    content: said,
    framed: !dropped,
    people: [...rendered.people, ...named],
  });
}

/**
 * A claim the speaker makes, as a fact of the speaker's own: `text` as written, keyed by `verb` and what was said
 * (`contentPredicate`), linked to the people it names other than the speaker.
 */
function speakerClaim(
  ctx: MessageContext,
  claim: { text: string; verb: string; content: string; framed: boolean; people: string[] },
): Draft {
  const { msg } = ctx;
  return {
    fact: {
      text: claim.text,
      subject: msg.speaker,
      predicate: contentPredicate(claim.verb, claim.content),
      object: claim.content,
      validFrom: msg.timestamp,
      stateful: false,
      entities: [],
      sourceMessageIds: [msg.id],
    },
    subject: { field: msg.speaker, text: msg.speaker, people: [msg.speaker], singular: true },
    shareable: false,
    framed: claim.framed,
    relation: 'mentioned with',
    subjectEntities: [msg.speaker],
    objectEntities: [...new Set(claim.people)].filter((n) => n !== msg.speaker),
  };
}

const COPULA = new Set(['is', 'are', 'was', 'were']);
const AS_OBJECT: Record<string, string> = { they: 'them', he: 'him', she: 'her', we: 'us', i: 'me' };

/**
 * A judgement ("it is so great to make a difference", "her books are so captivating", "losing my job was tough")
 * is what the speaker finds: "Maria finds it so great to make a difference", "Jon found losing his job tough".
 * Only a copula before an adjective, with no verb of its own before it; a negated one stays "said".
 */
function evaluation(terms: Term[], ctx: MessageContext): Draft | undefined {
  const c = terms.findIndex((t) => COPULA.has(t.word));
  if (c < 1 || c > 8) return undefined;
  const head = terms.slice(0, c);
  if (head.some((t) => isVerb(t) && !has(t, 'Gerund') && !has(t, 'Infinitive') && t.word !== 'to')) return undefined;
  if (head.some((t) => t.post.includes(',') || has(t, 'Conjunction') || has(t, 'Preposition'))) return undefined;
  // "He is real chill": a person the rules could not name is no judgement to note.
  if (head.length === 1 && ['he', 'she', 'him', 'her'].includes((head[0] as Term).word)) return undefined;
  if (['when', 'if', 'because', 'while', 'as', 'since'].includes((head[0] as Term).word)) return undefined;
  let a = c + 1;
  while (has(terms[a], 'Adverb') && !has(terms[a], 'Negative') && terms[a]?.word !== 'not') a++;
  const adjective = terms[a];
  if (!adjective || !has(adjective, 'Adjective') || has(adjective, 'Noun') || isVerb(adjective)) return undefined;
  const { msg } = ctx;
  const lone = head.length === 1 ? AS_OBJECT[(head[0] as Term).word] : undefined;
  const subject = renderTerms(head, ctx);
  const rest = renderTerms(terms.slice(c + 1), ctx);
  let what = lone ?? subject.text;
  if (!has(head[0], 'ProperNoun') && !lone && !PERSONAL.has((head[0] as Term).word)) {
    what = what.charAt(0).toLowerCase() + what.slice(1);
  }
  const judgement = `${what} ${rest.text.replace(/[\s,;:.!?\u2013\u2014-]+$/u, '')}`;
  const past = (terms[c] as Term).word === 'was' || (terms[c] as Term).word === 'were';
  const verb = past ? 'found' : 'finds';
  const named = ctx.named.filter((n) => terms.some((t) => n.ids.has(t.id))).map((n) => n.name);
  return speakerClaim(ctx, {
    text: `${msg.speaker} ${verb} ${judgement}.`,
    verb: 'find',
    content: judgement,
    framed: false,
    people: [...subject.people, ...rest.people, ...named],
  });
}

/** Imperatives that show or greet rather than advise ("Check out this photo", "Thanks"). */
const SHOWING = new Set([
  'let',
  'check',
  'look',
  'see',
  'take',
  'click',
  'imagine',
  'guess',
  'thank',
  'thanks',
  'wish',
]);

/**
 * Advice to the listener ("Don't give up!", "Keep going after your dreams.") is what the speaker told them: "Gina
 * told Jon not to give up."; a proposal ("Let's keep chasing our dreams") is what the speaker wants to do.
 */
function advice(terms: Term[], ctx: MessageContext): Draft | undefined {
  const { msg } = ctx;
  const [first, second, third] = terms;
  if (!first) return undefined;
  let rest: Term[];
  let text: string;
  const other = msg.others.length === 1 ? (msg.others[0] as string) : undefined;
  const say = (words: Term[]) => renderTerms(words, ctx);
  if (first.word === 'let' && second?.word === 'us' && isVerb(third)) {
    rest = terms.slice(2);
    text = `${msg.speaker} wants to ${say(rest).text}`;
  } else if (other && first.word === 'do' && second?.word === 'not' && has(third, 'Imperative')) {
    rest = terms.slice(2);
    text = `${msg.speaker} told ${other} not to ${say(rest).text}`;
  } else if (other && has(first, 'Imperative') && !SHOWING.has(first.word)) {
    rest = terms;
    text = `${msg.speaker} told ${other} to ${say(rest).text.replace(/^\p{Lu}/u, (c) => c.toLowerCase())}`;
  } else {
    return undefined;
  }
  const content = text.replace(/[\s,;:.!?\u2013\u2014-]+$/u, '');
  const rendered = say(rest);
  const named = ctx.named.filter((n) => rest.some((t) => n.ids.has(t.id))).map((n) => n.name);
  return speakerClaim(ctx, {
    text: `${content}.`,
    verb: 'tell',
    content: content,
    framed: false,
    people: [...(other ? [other] : []), ...rendered.people, ...named],
  });
}
