/**
 * The fact-update decision (M2): given a freshly extracted fact and the facts already held about the
 * same subject, say whether to add it, ignore it as a repeat, or let it supersede a held state.
 * Pure: the caller loads the held facts and applies the decision.
 */

import { normalizeKey } from '../text';
import type { HeldFact, UpdateDecision } from './types';

/** The comparison key lives with the engine's other text rules; re-exported for the extractors that import it here. */
export { normalizeKey };

/**
 * A framed fact ("Gina said …", or the speaker's own subject-less news) is keyed by what was said: its predicate is
 * the verb and the content's key ("say: they eat a combination of vegetables"), so it repeats, and a correction
 * of it versions, only a restatement of itself — never the speaker's other sayings, which share "Gina say".
 */
export function contentPredicate(verb: string, content: string): string {
  return `${verb}: ${normalizeKey(content)}`;
}

const CONTENT_KEYED = /^(say|do|find|tell): /;

/** The verb a predicate reads as in a sentence: a content-keyed one without its key. */
export function predicateVerb(predicate: string): string {
  return CONTENT_KEYED.exec(predicate)?.[1] ?? predicate;
}

/** True for a framed fact's content-keyed predicate (contentPredicate). */
export function isContentKeyed(predicate: string): boolean {
  return CONTENT_KEYED.test(predicate);
}

export interface UpdateCandidate {
  subject: string;
  predicate: string;
  object: string;
  stateful: boolean;
  validFrom: number;
}

function sameLocalDay(a: number, b: number): boolean {
  const da = new Date(a);
  const db = new Date(b);
  return da.getFullYear() === db.getFullYear() && da.getMonth() === db.getMonth() && da.getDate() === db.getDate();
}

/** Predicates that hold one value at a time for a subject: a new object supersedes the held one. */
export const SINGLE_VALUED = new Set(
  [
    'live in',
    'live at',
    'be based in',
    'reside in',
    'work at',
    'work for',
    'work as',
    'be married to',
    'be engaged to',
    'date',
    'study at',
    'be years old',
    'be employed at',
    'be employed by',
  ].map(normalizeKey),
);

// Relationship statuses said with "be": any of them, or a "married to"/"engaged to"/"date", replaces the last.
const STATUSES = new Set(['single', 'married', 'engaged', 'divorced', 'separated', 'widowed', 'in relationship']);
const RELATIONSHIP = 'relationship status';
const JOB = /^(?:new |first )?(?:job|position|role|work) (?:at|with|for|in) (.+)$/;

/**
 * The attribute a statement sets, when it sets a single-valued one under another wording: "moved to Lisbon" sets
 * where one lives as much as "lives in Lisbon" does, "started a new job at Acme" where one works, "is single"
 * the relationship status "is married to Tom" held. Keys are normalised; other statements keep their own.
 */
export function attributeOf(predicate: string, object: string): { predicate: string; object: string; state: boolean } {
  const p = normalizeKey(predicate);
  const o = normalizeKey(object);
  if (['move to', 'relocate to', 'move back to', 'be living in', 'settle in'].includes(p)) {
    return { predicate: 'live in', object: o, state: true };
  }
  const job = ['start', 'get', 'take', 'land', 'accept'].includes(p) ? JOB.exec(o) : null;
  if (job) return { predicate: 'work at', object: job[1] as string, state: true };
  if (['be working at', 'be working for', 'work for', 'be employed at', 'be employed by', 'join'].includes(p)) {
    return { predicate: 'work at', object: o, state: true };
  }
  if (p === 'be' && STATUSES.has(o)) return { predicate: RELATIONSHIP, object: o, state: true };
  if (['be married to', 'be engaged to', 'date', 'be dating', 'be in relationship with'].includes(p)) {
    return { predicate: RELATIONSHIP, object: `${p} ${o}`, state: true };
  }
  return { predicate: p, object: o, state: false };
}

export function decideUpdate(candidate: UpdateCandidate, held: HeldFact[]): UpdateDecision {
  const subject = normalizeKey(candidate.subject);
  const attribute = attributeOf(candidate.predicate, candidate.object);
  const predicate = attribute.predicate;
  const object = attribute.object;
  // A past "moved to Lisbon" is an event that sets a state: from then on, it is where the subject lives.
  const stateful = candidate.stateful || attribute.state;
  const heldAs = (h: HeldFact) => {
    const a = attributeOf(h.predicate, h.object);
    return { ...a, stateful: h.stateful || a.state };
  };
  const statement = `${candidate.subject} ${predicateVerb(candidate.predicate)} ${candidate.object}`.trim();

  // "Still valid" is judged at the candidate's own time, so a fact that was closed before it held is not repeated by it.
  const live = held.filter(
    (h) =>
      (h.validTo === null || h.validTo > candidate.validFrom) &&
      normalizeKey(h.subject) === subject &&
      heldAs(h).predicate === predicate,
  );

  // An event is only a repeat when it also happened on the same day: going to the support group again
  // next week is a new event, not the same one told twice.
  const repeat = live.find(
    (h) => heldAs(h).object === object && (stateful || sameLocalDay(h.validFrom, candidate.validFrom)),
  );
  if (repeat) {
    return { action: 'noop', existingId: repeat.id, reason: `repeats held fact ${repeat.id}: "${statement}"` };
  }

  if (!stateful) {
    return { action: 'add', reason: `new event: "${statement}"` };
  }
  // Most states accumulate (liking painting does not stop by liking hiking); only a predicate that holds one value
  // at a time lets a new object replace the old.
  if (!SINGLE_VALUED.has(predicate) && predicate !== RELATIONSHIP) {
    return { action: 'add', reason: `new state, alongside any others: "${statement}"` };
  }

  const current = live
    .filter((h) => heldAs(h).stateful && heldAs(h).object !== object)
    .sort((a, b) => b.validFrom - a.validFrom)[0];
  if (!current) {
    return { action: 'add', reason: `new state: "${statement}"` };
  }
  // A state reported as of an earlier time than the held one is history, not news: superseding would
  // let a late-arriving old message overwrite what is true now.
  if (candidate.validFrom < current.validFrom) {
    return {
      action: 'add',
      reason: `older than held fact ${current.id} ("${current.object}"), kept as history: "${statement}"`,
    };
  }
  return {
    action: 'update',
    supersedes: current.id,
    reason: `"${candidate.subject} ${candidate.predicate}" changes from "${current.object}" to "${candidate.object}" (supersedes ${current.id})`,
  };
}
