/**
 * The fact-update decision (M2): given a freshly extracted fact and the facts already held about the
 * same subject, say whether to add it, ignore it as a repeat, or let it supersede a held state.
 * Pure: the caller loads the held facts and applies the decision.
 */

import { normalizeKey } from '../text';
import type { HeldFact, UpdateDecision } from './types';

/** The comparison key lives with the engine's other text rules; re-exported for the extractors that import it here. */
export { normalizeKey };

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

export function decideUpdate(candidate: UpdateCandidate, held: HeldFact[]): UpdateDecision {
  const subject = normalizeKey(candidate.subject);
  const predicate = normalizeKey(candidate.predicate);
  const object = normalizeKey(candidate.object);
  const statement = `${candidate.subject} ${candidate.predicate} ${candidate.object}`.trim();

  // "Still valid" is judged at the candidate's own time, so a fact that was closed before it held is not repeated by it.
  const live = held.filter(
    (h) =>
      (h.validTo === null || h.validTo > candidate.validFrom) &&
      normalizeKey(h.subject) === subject &&
      normalizeKey(h.predicate) === predicate,
  );

  // An event is only a repeat when it also happened on the same day: going to the support group again
  // next week is a new event, not the same one told twice.
  const repeat = live.find(
    (h) => normalizeKey(h.object) === object && (candidate.stateful || sameLocalDay(h.validFrom, candidate.validFrom)),
  );
  if (repeat) {
    return { action: 'noop', existingId: repeat.id, reason: `repeats held fact ${repeat.id}: "${statement}"` };
  }

  if (!candidate.stateful) {
    return { action: 'add', reason: `new event: "${statement}"` };
  }
  // Most states accumulate (liking painting does not stop by liking hiking); only a predicate that holds one value
  // at a time lets a new object replace the old.
  if (!SINGLE_VALUED.has(predicate)) {
    return { action: 'add', reason: `new state, alongside any others: "${statement}"` };
  }

  const current = live
    .filter((h) => h.stateful && normalizeKey(h.object) !== object)
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
