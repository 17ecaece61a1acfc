/**
 * A fact names a person once, then says "he"/"she" where that is unambiguous; "we" without the listener is the
 * speaker; intensifiers are dropped unless they hedge. Exact texts through the real rule extractor, and the
 * pronoun step on its own.
 */
import { describe, expect, it } from 'vitest';
import { createRuleExtractor } from './rules';
import { genderOf, nameOnce, withoutIntensifiers } from './rules-pronouns';

const extractor = createRuleExtractor();
const DEC5 = new Date(2023, 11, 5, 13, 0).getTime();

async function texts(...turns: [speaker: 'Jon' | 'Gina', text: string][]): Promise<string[]> {
  const out = await extractor.extract({
    episodeId: 'ep',
    sessionId: 's',
    messages: turns.map(([speaker, text], i) => ({
      id: `m${i}`,
      speaker,
      others: [speaker === 'Jon' ? 'Gina' : 'Jon'],
      text,
      timestamp: DEC5 + i * 60_000,
    })),
  });
  return out.facts.map((f) => f.text);
}

describe('a person is named once in a fact', () => {
  it('later mentions of the speaker become his/him/he, reflexives himself', async () => {
    expect(
      await texts(
        ['Jon', 'Losing my job was tough, but it gave me the push I needed to do what I love.'],
        ['Jon', 'I keep reminding myself to stay calm.'],
      ),
    ).toEqual([
      'Jon found losing his job tough, but it gave him the push he needed to do what he loves.',
      'Jon keeps reminding himself to stay calm.',
    ]);
  });

  it('"we" without the listener is the speaker, with the verb agreeing; "we … together" is both', async () => {
    expect(
      await texts(['Gina', "We're opening a second store next month."], ['Gina', 'We went dancing together.']),
    ).toEqual(['Gina is opening a second store in January 2024.', 'Gina and Jon went dancing together.']);
  });

  it('keeps the name when the pronoun could mean someone else, or the gender is not known', () => {
    expect(genderOf('Jon')).toBe('male');
    expect(genderOf('Gina')).toBe('female');
    expect(genderOf('Zorblax')).toBeUndefined();
    // Tim is named before the second "Jon": "him" could be Tim.
    expect(nameOnce("Jon told Tim that Jon's plan worked.", ['Jon', 'Tim'])).toBe(
      "Jon told Tim that Jon's plan worked.",
    );
    // Gina cannot be "him".
    expect(nameOnce("Jon told Gina that Jon's plan worked.", ['Jon', 'Gina'])).toBe(
      'Jon told Gina that his plan worked.',
    );
    expect(nameOnce('Zorblax said Zorblax is tired.', ['Zorblax'])).toBe('Zorblax said Zorblax is tired.');
    // A list of people keeps the names; a bare verb object is "him".
    expect(nameOnce('Jon said it helps Jon stay calm with Gina and Jon.', ['Jon', 'Gina'])).toBe(
      'Jon said it helps him stay calm with Gina and Jon.',
    );
  });
});

describe('a judgement is what the speaker finds', () => {
  it('"it is so great to …" is "finds it so great to …"; a negated or unnamed one stays as said', async () => {
    expect(
      await texts(
        ['Gina', "It's so great to make a real difference."],
        ['Gina', "It isn't easy to run a store in winter."],
        ['Jon', 'He is real chill and funny.'],
      ),
    ).toEqual([
      'Gina finds it so great to make a real difference.',
      'Gina said it is not easy to run a store in winter.',
    ]);
  });
});

describe('advice and address', () => {
  it('advice is what the speaker told the listener, a proposal what they want; a closing address is dropped', async () => {
    expect(
      await texts(
        ['Gina', "Don't give up, buddy!"],
        ['Gina', 'Keep going after your dreams.'],
        ['Jon', "Let's keep chasing our dreams."],
        ['Jon', 'Check out this photo of my studio.'],
        ['Gina', 'Searching for the perfect dance studio is a tough job, Jon.'],
      ),
    ).toEqual([
      'Gina told Jon not to give up.',
      'Gina told Jon to keep going after his dreams.',
      'Jon wants to keep chasing his dreams.',
      'Jon said check out this photo of his studio.',
      'Gina said searching for the perfect dance studio is a tough job.',
    ]);
  });
});

describe('intensifiers', () => {
  it('are dropped, except after "not" where they hedge', () => {
    expect(withoutIntensifiers('John really admires his work ethic and totally agrees.')).toBe(
      'John admires his work ethic and agrees.',
    );
    expect(withoutIntensifiers('Gina does not really like horror movies.')).toBe(
      'Gina does not really like horror movies.',
    );
  });
});
