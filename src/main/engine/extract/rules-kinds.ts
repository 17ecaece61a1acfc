/**
 * What a name is, from the words the speaker put around it: "my dog Max" and "a pup named Oscar" are pets, "the
 * book Becoming Nicole", "reading Charlotte's Web" and "playing Catan" works, "the Pride Parade" and "Comic-Con"
 * events, "my new Nintendo Switch" and "bought a Kindle" products. A cue before the name wins over compromise's
 * guess for a pet or a work named by its noun (compromise reads "Max" and "Becoming Nicole" as people); other cues
 * only for a name it could not place (a "thing").
 */

import { has, type Term } from './rules-terms';
import type { EntityKind } from './types';

const PET_NOUNS = new Set(
  (
    'dog dogs puppy pup pups doggo cat cats kitty kitten kittens pet pets hamster turtle turtles tortoise bird ' +
    'parrot budgie rabbit bunny horse pony fish goldfish snake lizard gecko ferret guinea'
  ).split(' '),
);
const WORK_NOUNS = new Set(
  (
    'book books novel novels film films movie movies show shows series game games song songs album albums play ' +
    'musical poem story comic comics podcast documentary painting screenplay anime manga'
  ).split(' '),
);
// The verbs one does to a work: "reading Becoming Nicole", "watched Inception", "play Catan".
const WORK_VERBS = new Set(
  (
    'read reads reading reread watch watches watched watching rewatch rewatched play plays played playing ' +
    'listen listens listened listening sing sings sang singing finish finished finishing binge binged'
  ).split(' '),
);
const EVENT_NOUNS = new Set(
  (
    'festival fest parade conference convention con marathon race tournament championship championships expo fair ' +
    'concert gala summit meetup rally march cup olympics carnival'
  ).split(' '),
);
const PRODUCT_NOUNS = new Set(
  'console phone laptop camera tablet headphones car bike watch device controller keyboard guitar'.split(' '),
);
const PRODUCT_VERBS = new Set('bought buy buying ordered order purchased got upgraded'.split(' '));
// "called"/"named" between the cue and the name: "a pup named Oscar", "a game called Catan".
const NAMING = new Set(['named', 'called', 'titled']);

/** The word before the name, past "called"/"named" and a quote, and the one before that. */
function cueWords(terms: Term[], start: number): { noun: string; prev: string; before: string } {
  let k = start - 1;
  if (NAMING.has(terms[k]?.word ?? '')) k--;
  return { noun: terms[k]?.word ?? '', prev: terms[start - 1]?.word ?? '', before: terms[k - 1]?.word ?? '' };
}

/** The kind of the name written as `terms[start..end)`, given the kind compromise's tags gave it. */
export function kindFromCues(terms: Term[], start: number, end: number, tagged: EntityKind): EntityKind {
  if (tagged === 'place' || tagged === 'organization') return tagged;
  const { noun, prev, before } = cueWords(terms, start);
  const run = terms.slice(start, end);
  const head = run.at(-1)?.word ?? '';
  const after = terms[end]?.word ?? '';
  if (PET_NOUNS.has(noun)) return 'pet';
  if (WORK_NOUNS.has(noun)) return 'work';
  if (tagged === 'person') return tagged;
  if (EVENT_NOUNS.has(head) || EVENT_NOUNS.has(after) || /-con$/i.test(run.at(-1)?.text ?? '')) return 'event';
  if (
    PRODUCT_NOUNS.has(after) ||
    PRODUCT_NOUNS.has(noun) ||
    ((prev === 'new' || PRODUCT_VERBS.has(noun)) && !has(terms[start], 'Person'))
  ) {
    return 'product';
  }
  // "bought a Kindle": a buying verb, then an article.
  if (['a', 'an', 'the', 'my'].includes(prev) && PRODUCT_VERBS.has(before)) return 'product';
  if (WORK_VERBS.has(prev) || (['the', 'a'].includes(prev) && WORK_VERBS.has(before))) return 'work';
  return tagged;
}
