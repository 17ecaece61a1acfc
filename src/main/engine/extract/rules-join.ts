/**
 * Joining a turn's facts about one subject: "Caroline went to a LGBTQ support group yesterday." and "Caroline
 * found the transgender stories inspiring." said in one turn read as one statement, "Caroline went to a LGBTQ
 * support group yesterday and found the transgender stories inspiring." — the way a person would note it down.
 * Only neighbours from the same message with the same subject join, never a single-valued attribute ("lives in",
 * "works at": a later statement must be able to supersede it alone), never two different dates, and a joined
 * fact stays short.
 */

import type { ExtractedFact } from './types';
import { attributeOf, contentPredicate, isContentKeyed, normalizeKey, predicateVerb, SINGLE_VALUED } from './update';

/** Words a joined fact may have at most, so a long turn still gives more than one fact. */
const MAX_WORDS = 20;

const wordCount = (s: string) => s.split(/\s+/).filter(Boolean).length;

function atomic(f: ExtractedFact): boolean {
  const a = attributeOf(f.predicate, f.object);
  return a.state || SINGLE_VALUED.has(normalizeKey(a.predicate));
}

/** What a fact says after its subject (and after "said", for a framed one): the part a joined fact appends. */
function remainder(f: ExtractedFact, subjectText: string): string | undefined {
  const body = f.text.replace(/\.$/, '');
  if (!body.startsWith(`${subjectText} `)) return undefined;
  return body.slice(subjectText.length + 1);
}

export interface JoinableFact {
  fact: ExtractedFact;
  /** How the subject reads in the fact's text. */
  subjectText: string;
  /** The fact's date was said in the text (not the message's own time). */
  dated: boolean;
  /** Kept in the speaker's framing ("Nate said …", rules-framed.ts). */
  framed: boolean;
  /** Says little beyond its subject (rules-framed.ts saysLittle). */
  little: boolean;
}

export function joinTurnFacts(list: JoinableFact[]): ExtractedFact[] {
  const out: JoinableFact[] = [];
  for (const next of list) {
    const last = out.at(-1);
    const tail = remainder(next.fact, next.subjectText);
    const joinable =
      last !== undefined &&
      tail !== undefined &&
      last.fact.sourceMessageIds.join() === next.fact.sourceMessageIds.join() &&
      normalizeKey(last.fact.subject) === normalizeKey(next.fact.subject) &&
      last.subjectText === next.subjectText &&
      !atomic(last.fact) &&
      !atomic(next.fact) &&
      !(last.dated && next.dated && last.fact.validFrom !== next.fact.validFrom) &&
      wordCount(last.fact.text) + wordCount(tail) <= MAX_WORDS;
    if (!joinable || !last || tail === undefined) {
      out.push({ ...next, fact: { ...next.fact } });
      continue;
    }
    // Two framed sentences share one "said": "Nate said they eat … and they have a varied diet."
    const appended = last.framed && next.framed ? tail.replace(/^said /, '') : tail;
    const object = `${last.fact.object} and ${appended}`.trim();
    const { predicate } = last.fact;
    last.fact = {
      ...last.fact,
      text: `${last.fact.text.replace(/\.$/, '')} and ${appended}.`,
      object,
      // A framed fact stays keyed by all it says.
      predicate: isContentKeyed(predicate) ? contentPredicate(predicateVerb(predicate), object) : predicate,
      // A joined statement is an account of what happened, not one state a later fact can replace.
      stateful: false,
      validFrom: last.dated ? last.fact.validFrom : next.fact.validFrom,
      entities: [...new Set([...last.fact.entities, ...next.fact.entities])],
    };
    last.dated ||= next.dated;
  }
  return out.map((j) => j.fact);
}
