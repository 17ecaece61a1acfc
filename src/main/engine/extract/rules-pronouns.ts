/**
 * A fact names a person once: "Jon said losing Jon's job was tough but it gave Jon the push Jon needed" reads as
 * "Jon said losing his job was tough but it gave him the push he needed". After a person's first mention, a later
 * one becomes a pronoun when the name's presumed gender is known (compromise's first-name lists) and no other
 * person of that gender, or of unknown gender, was named before it in the fact; otherwise the name stays.
 * Intensifiers that add nothing to a note ("John really admires …", "totally agree") are dropped the same way;
 * after "not" they are a hedge ("does not really like") and stay.
 */

import nlp from 'compromise';

type Gender = 'male' | 'female';

const genders = new Map<string, Gender | undefined>();

/** The presumed gender of a first name, when compromise knows it. */
export function genderOf(name: string): Gender | undefined {
  if (genders.has(name)) return genders.get(name);
  const person = (nlp(`${name} went home.`).people().json() as { person?: { presumed_gender?: string } }[])[0]?.person;
  const g = person?.presumed_gender;
  const gender = g === 'male' || g === 'female' ? g : undefined;
  genders.set(name, gender);
  return gender;
}

const FORMS: Record<Gender, { subject: string; object: string; possessive: string }> = {
  male: { subject: 'he', object: 'him', possessive: 'his' },
  female: { subject: 'she', object: 'her', possessive: 'her' },
};

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `text` with each later mention of `people` replaced by a pronoun where that is unambiguous. */
export function nameOnce(text: string, people: readonly string[]): string {
  const names = [...new Set(people)].filter((n) => n.length > 0).sort((a, b) => b.length - a.length);
  if (names.length === 0) return text;
  const mention = new RegExp(`\\b(${names.map(escapeRe).join('|')})(['\u2019]s\\b)?`, 'g');
  const seen: string[] = [];
  let terms: { text: string; tags: string[]; offset: { start: number } }[] = [];
  if (mention.test(text)) {
    mention.lastIndex = 0;
    terms = (nlp(text).json({ offset: true }) as { terms: typeof terms }[]).flatMap((s) => s.terms);
  }
  return text.replace(mention, (whole, name: string, owner: string | undefined, at: number) => {
    if (!seen.includes(name)) {
      seen.push(name);
      return whole;
    }
    const gender = genderOf(name);
    // Another person named so far whom the same pronoun could mean keeps the name.
    if (!gender || seen.some((o) => o !== name && genderOf(o) !== (gender === 'male' ? 'female' : 'male'))) {
      return whole;
    }
    const form = FORMS[gender];
    const i = terms.findIndex((t) => t.offset.start === at);
    if (i < 0) return owner ? form.possessive : whole;
    const before = terms[i - 1];
    // The verb it is the subject of may come after adverbs ("Jon totally agrees").
    let j = i + 1;
    while (terms[j]?.tags.includes('Adverb')) j++;
    const after = terms[j];
    // "and Jon", "Jon and …": a list of people reads best with the names.
    if (before?.text === 'and' || before?.text === '&' || terms[i + 1]?.text === 'and') return whole;
    if (owner) return form.possessive;
    const tags = new Set(after?.tags ?? []);
    const prevTags = new Set(before?.tags ?? []);
    const auxiliary = ['Copula', 'Modal', 'Auxiliary'].some((t) => tags.has(t));
    const past = tags.has('PastTense') && !auxiliary;
    // "gave Jon renewed energy": after a verb, a past form may be an adjective; the name stays.
    if (past && prevTags.has('Verb') && !prevTags.has('Auxiliary')) return whole;
    // The subject of a finite verb ("the push Jon needed", "after Jon went"); else an object ("helps Jon stay").
    const finite =
      auxiliary || past || (tags.has('PresentTense') && !tags.has('Infinitive') && /s$/.test(after?.text ?? ''));
    if (finite) return form.subject;
    // A bare verb after the name ("Jon agree") is the speaker's own "I agree" with the wrong agreement: keep it.
    if (tags.has('Verb') && !prevTags.has('Verb')) return whole;
    return form.object;
  });
}

const INTENSIFIER =
  /(?<!\b(?:not|never|n't)) \b(?:really|definitely|totally|absolutely|truly|literally|actually|honestly|basically)\b(?=[ ,])/giu;

/** `text` without intensifiers that change nothing it says. */
export function withoutIntensifiers(text: string): string {
  return text.replace(INTENSIFIER, '').replace(/ ,/g, ',');
}

const VOCATIVES = 'buddy|bud|man|dude|pal|friend|girl|guys|mate|bro|sis|dear|hun';

/** `text` without a closing address to someone (", Jon.", ", buddy!"): who was spoken to is not what was said. */
export function withoutVocative(text: string, people: readonly string[]): string {
  const names = [...people.map(escapeRe), VOCATIVES].join('|');
  return text.replace(new RegExp(`,\\s*(?:my )?(?:${names})\\s*([.!?]*)$`, 'u'), '$1');
}
