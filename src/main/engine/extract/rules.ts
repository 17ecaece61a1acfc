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
import { isQuestion, splitClauses } from './rules-clauses';
import { type DateMention, NOT_A_DATE } from './rules-dates';
import { EntityRegistry, midSentenceCapitals, nameMentions, rawJson } from './rules-entities';
import { clauseFact, type Draft } from './rules-fact';
import { framedFact, saysLittle } from './rules-framed';
import { type JoinableFact, joinTurnFacts } from './rules-join';
import { nameOnce, withoutIntensifiers, withoutVocative } from './rules-pronouns';
import type { Antecedents, MessageContext, Subject } from './rules-subject';
import { type NamedMention, type RawSentence, type RawVerb, toTerm, type VerbPhrase } from './rules-terms';
import type {
  EntityKind,
  ExtractedFact,
  ExtractedRelationship,
  ExtractInput,
  Extraction,
  ExtractMessage,
  Extractor,
} from './types';
import { normalizeKey } from './update';

function analyseMessage(
  msg: ExtractMessage,
  registry: EntityRegistry,
  lexicon: Record<string, string>,
  evidence: Set<string>,
  antecedents: Antecedents,
): Draft[] {
  const doc = nlp(msg.text, lexicon);
  // "it" stands for a thing named in the same turn only: across turns it is mostly the event or the photo.
  antecedents.thing = undefined;
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

  const recognised: NamedMention[] = [];
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
      recognised.push({ ids: new Set(m.terms.map((t) => t.id)), name: terms.map((t) => t.text).join(' '), kind });
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

  const sentences = rawJson<RawSentence>(doc, { offset: true }).map((raw) => raw.terms.map(toTerm));
  // Names compromise does not know ("Nintendo Switch", a pet's name) come from the speaker's capitals, and a
  // run of capitals it split ("Charlotte" + "Web") is one name.
  const named: NamedMention[] = [];
  for (const m of sentences.flatMap((terms) => nameMentions(terms, recognised, evidence))) {
    const name = registry.add(m.name, m.kind);
    if (name) named.push({ ...m, name });
  }

  const drafts: Draft[] = [];
  const participants = new Set([msg.speaker, ...msg.others]);
  for (const terms of sentences) {
    const here = named.filter((n) => terms.some((t) => n.ids.has(t.id)));
    const question = isQuestion(terms);
    const inclusive = terms.some((t) => t.word === 'together' || t.word === 'both');
    const ctx: MessageContext = { msg, verbByFirstId, named, dates, inclusive, antecedents: { ...antecedents } };
    // Names in this sentence are what the next sentence's pronouns can mean, in a question too.
    for (const n of here) {
      if (n.kind === 'person' && !participants.has(n.name)) antecedents.person = n.name;
      else if (n.kind !== 'person') antecedents.thing = n.name;
    }
    if (question) continue;
    let subject: Subject | undefined;
    const before = drafts.length;
    for (const clause of splitClauses(terms)) {
      const draft = clauseFact(clause, terms, ctx, subject);
      if (draft) drafts.push(draft);
      subject = draft?.shareable ? draft.subject : undefined;
    }
    // A sentence that says something but whose clauses gave no fact is kept in the speaker's framing.
    if (drafts.length === before) {
      const framed = framedFact(terms, ctx);
      if (framed) drafts.push(framed);
    }
  }
  return drafts;
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
  const evidence = midSentenceCapitals(input.messages.map((m) => m.text));
  // Carried from message to message: "she" in a reply can mean the sister named in the turn before.
  const antecedents: Antecedents = {};
  const drafts = input.messages.flatMap((m) => analyseMessage(m, registry, lexicon, evidence, antecedents));
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

  const timeOf = new Map(input.messages.map((m) => [m.id, m.timestamp]));
  const turnFacts: JoinableFact[] = [];
  for (const d of drafts) {
    // Only names are entities: a common-noun subject ("the support group") is in the fact's text, not the graph.
    const subjects = [...new Set(d.subjectEntities.filter((n) => registry.known(n)).map((n) => registry.canonical(n)))];
    const objects = [
      ...new Set(d.objectEntities.filter((n) => registry.known(n)).map((n) => registry.canonical(n))),
    ].filter((n) => !subjects.includes(n));
    const fact: ExtractedFact = {
      ...d.fact,
      subject: registry.canonical(d.fact.subject),
      entities: [...subjects, ...objects],
    };
    const dated = fact.validFrom !== timeOf.get(fact.sourceMessageIds[0] as string);
    turnFacts.push({
      fact,
      subjectText: d.subject.text,
      dated,
      framed: d.framed === true,
      little: !dated && saysLittle(fact.text, d.subject.text),
    });

    const ids = d.fact.sourceMessageIds;
    const [primary, ...more] = objects;
    for (const s of subjects) {
      if (primary) relate(s, primary, d.relation, ids);
      for (const o of more) relate(s, o, 'mentioned with', ids);
    }
    const pairs = (list: string[]) => list.flatMap((a, i) => list.slice(i + 1).map((b) => [a, b] as const));
    for (const [a, b] of [...pairs(subjects), ...pairs(objects)]) relate(a, b, 'mentioned with', ids);
  }

  // A fact that says little beyond its subject ("Joanna was awesome.") is noise beside its turn's other facts;
  // it stays when it is all the turn gave.
  const informative = new Set(turnFacts.filter((t) => !t.little).map((t) => t.fact.sourceMessageIds.join()));
  const kept = turnFacts.filter((t) => !t.little || !informative.has(t.fact.sourceMessageIds.join()));
  const people = [
    ...new Set([
      ...input.messages.flatMap((m) => [m.speaker, ...m.others]),
      ...registry
        .entities()
        .filter((e) => e.kind === 'person')
        .flatMap((e) => [e.name, ...e.aliases]),
    ]),
  ];
  for (const joined of joinTurnFacts(kept)) {
    // A person is named once in a fact, then a pronoun where one is unambiguous (rules-pronouns.ts).
    const fact = { ...joined, text: withoutIntensifiers(nameOnce(withoutVocative(joined.text, people), people)) };
    // Said twice in one episode is one fact with two sources.
    const key = [fact.subject, fact.predicate, fact.object, String(fact.validFrom)].map(normalizeKey).join('|');
    const existing = facts.get(key);
    if (existing) existing.sourceMessageIds = [...new Set([...existing.sourceMessageIds, ...fact.sourceMessageIds])];
    else facts.set(key, fact);
  }

  const participants = new Set(
    input.messages.flatMap((m) => [m.speaker, ...m.others]).map((n) => registry.canonical(n)),
  );
  const mentioned = new Set([...facts.values()].flatMap((f) => f.entities));
  return {
    facts: [...facts.values()],
    // An entity no fact or relationship of the episode mentions would be a page with nothing on it.
    entities: registry.entities().filter((e) => mentioned.has(e.name) || participants.has(e.name)),
    relationships: [...relationships.values()],
    via: 'rules',
  };
}

export function createRuleExtractor(): Extractor {
  return {
    extract: async (input) => extract(input),
  };
}
