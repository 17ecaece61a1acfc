/**
 * One hand-written case per extraction rule of issue 16, asserting the exact facts and entities: coreference,
 * negation, the year of a yearless date, questions, junk nouns, updates across sessions (through the real
 * engine), and episode titles and summaries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { Engine } from '../engine';
import { episodeLines, episodeSummary, episodeTitle } from './episode-text';
import { createRuleExtractor } from './rules';
import type { ExtractInput } from './types';
import { attributeOf, decideUpdate } from './update';

const extractor = createRuleExtractor();
// 1 pm on Tuesday 5 December 2023, local time (the extractor reads timestamps in local time).
const DEC5 = new Date(2023, 11, 5, 13, 0).getTime();

function episode(...turns: [speaker: 'Caroline' | 'Melanie', text: string][]): ExtractInput {
  return {
    episodeId: 'ep',
    sessionId: 's',
    messages: turns.map(([speaker, text], i) => ({
      id: `m${i}`,
      speaker,
      others: [speaker === 'Caroline' ? 'Melanie' : 'Caroline'],
      text,
      timestamp: DEC5 + i * 60_000,
    })),
  };
}

const texts = async (input: ExtractInput) => (await extractor.extract(input)).facts.map((f) => f.text);

describe('coreference', () => {
  it('"she" is the last person named before, carried into the next turn; "it" the last named thing', async () => {
    const out = await extractor.extract(
      episode(
        ['Caroline', 'My sister Anna came over.'],
        ['Melanie', "She loves Charlotte's Web, I heard."],
        ['Caroline', 'I finally read Becoming Nicole. It was so inspiring!'],
      ),
    );
    const anna = out.facts.find((f) => f.sourceMessageIds.includes('m1'));
    expect(anna).toMatchObject({ text: "Anna loves Charlotte's Web.", subject: 'Anna', predicate: 'love' });
    expect(anna?.entities).toEqual(['Anna', "Charlotte's Web"]);
    expect(out.entities).toContainEqual({ name: 'Anna', kind: 'person', aliases: [] });
  });

  it('keeps no fact when a pronoun has nothing to stand for', async () => {
    expect(await texts(episode(['Caroline', 'She is so brave.'], ['Melanie', 'It was great.']))).toEqual([]);
  });
});

describe('negation and hedges', () => {
  it('keeps "not", "no longer" and "not sure" in the fact', async () => {
    const facts = (
      await extractor.extract(
        episode(
          ['Caroline', "I'm not sure about the adoption agency yet."],
          ['Melanie', "I don't like horror movies."],
        ),
      )
    ).facts;
    expect(facts.map((f) => [f.text, f.predicate])).toEqual([
      ['Caroline is not sure about the adoption agency yet.', 'not sure about'],
      ['Melanie does not like horror movies.', 'not like'],
    ]);
  });
});

describe('the year of a yearless date', () => {
  it('said in December: a past "3 March" is the March before, a planned one the March after', async () => {
    const facts = (
      await extractor.extract(
        episode(['Caroline', 'I started a new job on 3 March.'], ['Melanie', 'I will start my course on 3 March.']),
      )
    ).facts;
    expect(facts.map((f) => [f.text, new Date(f.validFrom).toDateString()])).toEqual([
      ['Caroline started a new job on 3 March 2023.', new Date(2023, 2, 3).toDateString()],
      ['Melanie will start her course on 3 March 2024.', new Date(2024, 2, 3).toDateString()],
    ]);
  });

  it('keeps a year the speaker gave and a date anchored by its own words', async () => {
    expect(
      await texts(episode(['Caroline', 'I moved here in March 2025.'], ['Melanie', 'I ran a race last Saturday.'])),
    ).toEqual(['Caroline moved here in March 2025.', 'Melanie ran a race on 2 December 2023.']);
  });
});

describe('what yields nothing', () => {
  it('questions and greetings give no facts, even without a question mark', async () => {
    expect(
      await texts(
        episode(
          ['Caroline', 'Hey Mel! How are you doing?'],
          ['Melanie', 'What did you think of the book'],
          ['Caroline', 'Thanks so much!'],
        ),
      ),
    ).toEqual([]);
  });

  it('common nouns are not entities; names the speaker capitalised are', async () => {
    const out = await extractor.extract(
      episode(
        ['Caroline', 'Painting gives me so much power and love, something I need.'],
        ['Melanie', 'I bought a Nintendo Switch and played Zelda with my dog Oliver nearby.'],
      ),
    );
    expect(out.entities.map((e) => e.name).sort()).toEqual([
      'Caroline',
      'Melanie',
      'Nintendo Switch',
      'Oliver',
      'Zelda',
    ]);
    for (const junk of ['power', 'love', 'something', 'painting', 'dog']) {
      expect(out.entities.map((e) => e.name.toLowerCase())).not.toContain(junk);
    }
  });
});

describe('coverage: every informative sentence gives a fact', () => {
  it("keeps a sentence whose subject the rules cannot name in the speaker's framing; reactions give nothing", async () => {
    const out = await extractor.extract(
      episode(
        ['Melanie', 'They eat a combination of vegetables, fruits, and insects.'],
        ['Caroline', "Wow, that's awesome! It's moments like these that bring love and joy."],
        ['Melanie', 'That sounds great!'],
      ),
    );
    expect(out.facts.map((f) => [f.text, f.subject, f.predicate, f.sourceMessageIds])).toEqual([
      [
        'Melanie said they eat a combination of vegetables, fruits, and insects.',
        'Melanie',
        'say: they eat a combination of vegetables fruits and insects',
        ['m0'],
      ],
      [
        'Caroline said it is moments like these that bring love and joy.',
        'Caroline',
        'say: it is moments like these that bring love and joy',
        ['m1'],
      ],
    ]);
  });

  it("a sentence that drops its subject is the speaker's own news; an image caption is not speech", async () => {
    expect(
      await texts(
        episode([
          'Caroline',
          'Just got back from a family road trip to the coast. [shares an image: a photo of a beach at sunset]',
        ]),
      ),
    ).toEqual(['Caroline just got back from a family road trip to the coast.']);
  });

  it("joins a turn's neighbouring facts about one subject, never a single-valued attribute", async () => {
    expect(
      await texts(
        episode(
          ['Caroline', 'I went to a support group yesterday. I found the stories so inspiring.'],
          ['Melanie', 'I moved to Lisbon. I love the food there.'],
        ),
      ),
    ).toEqual([
      'Caroline went to a support group on 4 December 2023 and found the stories so inspiring.',
      'Melanie moved to Lisbon.',
      'Melanie loves the food there.',
    ]);
  });

  it("drops a fact that says little beside its turn's others, and keeps it when it is all the turn said", async () => {
    expect(
      await texts(
        episode(
          ['Caroline', 'The party was awesome. My brother baked a huge chocolate cake for everyone.'],
          ['Melanie', 'The party was awesome.'],
        ),
      ),
    ).toEqual(["Caroline's brother baked a huge chocolate cake for everyone.", 'The party was awesome.']);
  });
});

describe('entity kinds', () => {
  it('reads pets, works, events and products from the words around the name', async () => {
    const out = await extractor.extract(
      episode(
        ['Caroline', 'My dog Max loves the beach. I finally read the book Becoming Nicole.'],
        ['Melanie', "We adopted a pup named Oscar. I've been reading Charlotte's Web and playing Catan."],
        ['Caroline', 'We went to the Pride Parade. I bought a Kindle and my new Nintendo Switch.'],
      ),
    );
    expect(out.entities.map((e) => [e.name, e.kind]).sort()).toEqual([
      ['Becoming Nicole', 'work'],
      ['Caroline', 'person'],
      ['Catan', 'work'],
      ["Charlotte's Web", 'work'],
      ['Kindle', 'product'],
      ['Max', 'pet'],
      ['Melanie', 'person'],
      ['Nintendo Switch', 'product'],
      ['Oscar', 'pet'],
      ['Pride Parade', 'event'],
    ]);
  });

  it('keeps people, places and organisations as compromise names them', async () => {
    const out = await extractor.extract(episode(['Caroline', 'My friend Tom lives in Boston and works at Google.']));
    expect(out.entities.map((e) => [e.name, e.kind]).sort()).toEqual([
      ['Boston', 'place'],
      ['Caroline', 'person'],
      ['Google', 'organization'],
      ['Melanie', 'person'],
      ['Tom', 'person'],
    ]);
  });
});

describe('updates across sessions', () => {
  it('reads "moved to" as where one lives, "started a job at" as where one works, "single" as a status', () => {
    expect(attributeOf('move to', 'Lisbon')).toEqual({ predicate: 'live in', object: 'lisbon', state: true });
    expect(attributeOf('start', 'a new job at Acme')).toEqual({ predicate: 'work at', object: 'acme', state: true });
    expect(attributeOf('be', 'single')).toMatchObject({ predicate: 'relationship status', state: true });
    expect(attributeOf('like', 'hiking')).toEqual({ predicate: 'like', object: 'hiking', state: false });
  });

  it('a later move supersedes the held home, with its reason', () => {
    const d = decideUpdate(
      { subject: 'Caroline', predicate: 'move to', object: 'Lisbon', stateful: false, validFrom: 2_000 },
      [
        {
          id: 'fact:porto',
          subject: 'Caroline',
          predicate: 'live in',
          object: 'Porto',
          stateful: true,
          validFrom: 1_000,
          validTo: null,
        },
      ],
    );
    expect(d).toEqual({
      action: 'update',
      supersedes: 'fact:porto',
      reason: '"Caroline move to" changes from "Porto" to "Lisbon" (supersedes fact:porto)',
    });
  });

  describe('through the engine', () => {
    let engine: Engine;
    let dir: { dir: string; cleanup(): void };
    beforeAll(async () => {
      dir = tempDir('strata-extract-cases-');
      engine = await Engine.open({ dataDir: dir.dir, embedder: 'hashing' });
      const people = ['Caroline', 'Melanie'];
      const session = async (id: string, startedAt: number, lines: [string, string][]) => {
        await engine.createSession({ id, participants: people, startedAt });
        await engine.addMessages(
          id,
          lines.map(([speaker, text], i) => ({
            role: 'user' as const,
            speaker,
            text,
            timestamp: startedAt + i * 60_000,
          })),
        );
      };
      await session('s1', new Date(2023, 4, 8, 13).getTime(), [
        ['Caroline', 'I live in Porto.'],
        ['Melanie', 'Porto sounds lovely.'],
      ]);
      await session('s2', new Date(2023, 10, 2, 13).getTime(), [
        ['Caroline', 'Big news: I live in Lisbon now.'],
        ['Melanie', 'Wow, congratulations on the move!'],
      ]);
      await engine.flush();
    }, 120_000);
    afterAll(async () => {
      await engine?.close();
      dir?.cleanup();
    });

    it('the later session\'s "lives in" closes the earlier one and says why', async () => {
      const facts = (await engine.list('m2', { kind: 'fact' }, { limit: 100 })).items;
      const porto = facts.find((f) => f.text === 'Caroline lives in Porto.');
      const lisbon = facts.find((f) => f.text === 'Caroline lives in Lisbon.');
      expect(porto?.validTo).toBe(lisbon?.validFrom);
      expect(porto?.links).toContainEqual({ dst: lisbon?.id, kind: 'superseded_by' });
      expect(lisbon?.validTo).toBeNull();
      const update = (await engine.decisions('s2')).find((d) => d.action === 'update');
      expect(update).toMatchObject({ factId: lisbon?.id, targetId: porto?.id });
      expect(update?.reason).toBe(`"Caroline live in" changes from "Porto" to "Lisbon" (supersedes ${porto?.id})`);
    });

    it('an entity is linked from every fact that mentions it', async () => {
      const facts = (await engine.list('m2', { kind: 'fact' }, { limit: 100 })).items;
      const mentioning = facts.filter((f) => f.links.some((l) => l.dst === 'entity:caroline' && l.kind === 'mentions'));
      expect(mentioning.map((f) => f.text).sort()).toEqual(['Caroline lives in Lisbon.', 'Caroline lives in Porto.']);
      const linked = await engine.storage.read('linkedFrom', { dst: 'entity:caroline', kind: 'mentions' });
      expect(linked.sort()).toEqual(mentioning.map((f) => f.id).sort());
    });
  });
});

describe('episode titles and summaries', () => {
  const lines = episodeLines([
    'Caroline: I went to a LGBTQ support group yesterday and it was so powerful.\nMelanie: Wow, what happened?',
    'Caroline: The support group made me feel accepted. The transgender stories were so inspiring!',
    'Melanie: That support group sounds great. I painted a lake sunrise last year.',
    'Caroline: I want to explore counseling careers. Thanks, Mel!',
  ]);

  it('reads "Speaker: words" lines back', () => {
    expect(lines[1]).toEqual({ speaker: 'Melanie', text: 'Wow, what happened?' });
    expect(lines).toHaveLength(5);
  });

  it('titles the topic as noun phrases, never a pronoun, a date or a speaker', () => {
    const title = episodeTitle(lines, ['Caroline', 'Melanie']);
    expect(title).toBe('LGBTQ support group, lake sunrise and transgender story');
    expect(title).not.toMatch(/\b(I'm|you|Caroline|Melanie|yesterday|last year)\b/i);
  });

  it('summarises central statements in the third person, questions left out', () => {
    const summary = episodeSummary(lines, ['Caroline', 'Melanie']);
    expect(summary).toBe(
      'Caroline went to a LGBTQ support group yesterday and it was so powerful. That support group sounds great.',
    );
  });
});
