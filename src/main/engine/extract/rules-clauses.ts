/** Where a sentence's clauses start, and whether a sentence asks rather than tells. */
import { CLAUSE_PRONOUNS, has, isVerb, SUBORDINATORS, type Term } from './rules-terms';

/** A verb other than a gerund shows up within the next few words: the words after a conjunction are a new clause. */
export function verbSoon(terms: Term[], from: number): boolean {
  for (let j = from; j < Math.min(terms.length, from + 5); j++) {
    const t = terms[j] as Term;
    if (isVerb(t) && !has(t, 'Gerund') && !has(t, 'Particle')) return true;
    if (has(t, 'Preposition') || /[,;.!?]/.test(t.post)) return false;
  }
  return false;
}

/** Splits a sentence where a new clause starts, so each fact keeps to one clause. */
export function splitClauses(terms: Term[]): Term[][] {
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

/**
 * A question asks rather than tells. Chat drops question marks ("What now"), so a sentence that opens
 * with a question word counts too, unless an exclamation or a comma says otherwise ("How cool is that!").
 */
export function isQuestion(terms: Term[]): boolean {
  const last = terms.at(-1);
  if (!last || last.post.includes('?')) return true;
  const first = terms.find((t) => !has(t, 'Expression'));
  return has(first, 'QuestionWord') && !last.post.includes('!') && !terms.some((t) => t.post.includes(','));
}
