import { readFileSync } from 'node:fs';
import * as chrono from 'chrono-node';
import { describe, expect, it } from 'vitest';
import { createRuleExtractor } from './rules';
import type { ExtractedFact, ExtractInput, ExtractMessage, HeldFact } from './types';
import { decideUpdate } from './update';

const extractor = createRuleExtractor();

// Local time, as the extractor reads timestamps: "1:56 pm on 8 May 2023".
const at = (day: number, month = 4, hour = 13, minute = 56) => new Date(2023, month, day, hour, minute).getTime();
const midnight = (day: number, month = 4, year = 2023) => new Date(year, month, day).getTime();

function message(id: string, speaker: string, text: string, timestamp: number, others?: string[]): ExtractMessage {
  const everyone = ['Caroline', 'Melanie'];
  return { id, speaker, others: others ?? everyone.filter((p) => p !== speaker), text, timestamp };
}

function episode(...messages: ExtractMessage[]): ExtractInput {
  return { episodeId: 'ep-1', sessionId: 's-1', messages };
}

const fromMessage = (facts: ExtractedFact[], id: string) => facts.filter((f) => f.sourceMessageIds.includes(id));

describe('rule extractor', () => {
  it('resolves the speaker and "yesterday" in LoCoMo D1:3', async () => {
    const out = await extractor.extract(
      episode(message('D1:3', 'Caroline', 'I went to a LGBTQ support group yesterday and it was so powerful.', at(8))),
    );
    expect(out.via).toBe('rules');
    expect(out.facts).toHaveLength(1);
    const [fact] = out.facts;
    expect(fact).toMatchObject({
      text: 'Caroline went to a LGBTQ support group on 7 May 2023.',
      subject: 'Caroline',
      predicate: 'go to',
      validFrom: midnight(7),
      stateful: false,
      sourceMessageIds: ['D1:3'],
    });
    expect(fact?.object).toContain('LGBTQ support group');
    // The name is what the speaker capitalised; the support group itself is a common noun, in the fact's text.
    expect(fact?.entities).toEqual(['Caroline', 'LGBTQ']);
    expect(out.entities.map((e) => e.name).sort()).toEqual(['Caroline', 'LGBTQ', 'Melanie']);
    expect(out.relationships).toEqual([
      { from: 'Caroline', to: 'LGBTQ', kind: 'mentioned with', sourceMessageIds: ['D1:3'] },
    ]);
  });

  it('turns "I" into the speaker and makes the verb agree, marking a present "live in" as a state', async () => {
    const out = await extractor.extract(episode(message('m1', 'Melanie', 'I live in Boston.', at(8))));
    expect(out.facts).toEqual([
      {
        text: 'Melanie lives in Boston.',
        subject: 'Melanie',
        predicate: 'live in',
        object: 'Boston',
        validFrom: at(8),
        stateful: true,
        entities: ['Melanie', 'Boston'],
        sourceMessageIds: ['m1'],
      },
    ]);
    expect(out.entities).toContainEqual({ name: 'Boston', kind: 'place', aliases: [] });
    expect(out.relationships).toContainEqual({
      from: 'Melanie',
      to: 'Boston',
      kind: 'lives in',
      sourceMessageIds: ['m1'],
    });
  });

  it('resolves "last Saturday" against the message time, not the time of extraction', async () => {
    // Thursday 25 May 2023: last Saturday is 20 May.
    const out = await extractor.extract(
      episode(message('D2:1', 'Melanie', 'I ran a charity race for mental health last Saturday.', at(25, 4, 17, 0))),
    );
    const [fact] = out.facts;
    expect(fact?.text).toBe('Melanie ran a charity race for mental health on 20 May 2023.');
    expect(fact).toMatchObject({ subject: 'Melanie', predicate: 'run', validFrom: midnight(20), stateful: false });
    expect(out.entities.map((e) => e.name).sort()).toEqual(['Caroline', 'Melanie']);
  });

  it('writes coarser dates at the precision they were given', async () => {
    const out = await extractor.extract(
      episode(
        message('D1:14', 'Melanie', 'Yeah, I painted that lake sunrise last year!', at(8)),
        message('D2:7', 'Melanie', "We're thinking about going camping next month.", at(25)),
      ),
    );
    const painted = fromMessage(out.facts, 'D1:14')[0];
    expect(painted?.text).toBe('Melanie painted that lake sunrise in 2022.');
    expect(painted?.validFrom).toBe(midnight(1, 0, 2022));
    const camping = fromMessage(out.facts, 'D2:7')[0];
    expect(camping?.text).toBe('Melanie is thinking about going camping in June 2023.');
    expect(camping?.subject).toBe('Melanie');
    expect(camping?.validFrom).toBe(midnight(1, 5));
  });

  it('resolves "you" to the one other participant and "we ... together" to both', async () => {
    const out = await extractor.extract(
      episode(
        message('m1', 'Melanie', "You've got guts.", at(8)),
        message('m2', 'Caroline', 'We painted a mural together last weekend.', at(8)),
      ),
    );
    expect(fromMessage(out.facts, 'm1')[0]).toMatchObject({ text: 'Caroline has got guts.', subject: 'Caroline' });
    const mural = fromMessage(out.facts, 'm2')[0];
    expect(mural?.text).toBe('Caroline and Melanie painted a mural together on the weekend of 6 May 2023.');
    expect(mural?.entities).toEqual(['Caroline', 'Melanie']);
    expect(out.relationships).toContainEqual(
      expect.objectContaining({ from: 'Caroline', to: 'Melanie', kind: 'mentioned with' }),
    );
  });

  it('keeps one clause per fact, sharing the subject across "and" but not into an embedded verb', async () => {
    const out = await extractor.extract(
      episode(
        message('m1', 'Melanie', 'I live in Boston and work at Google.', at(8)),
        message('m2', 'Melanie', "Painting's a fun way to express my feelings and get creative.", at(8)),
      ),
    );
    expect(fromMessage(out.facts, 'm1').map((f) => [f.text, f.predicate, f.object])).toEqual([
      ['Melanie lives in Boston.', 'live in', 'Boston'],
      ['Melanie works at Google.', 'work at', 'Google'],
    ]);
    expect(out.entities).toContainEqual({ name: 'Google', kind: 'organization', aliases: [] });
    expect(out.relationships).toContainEqual({
      from: 'Melanie',
      to: 'Google',
      kind: 'works at',
      sourceMessageIds: ['m1'],
    });
    expect(fromMessage(out.facts, 'm2').map((f) => f.text)).toEqual([
      "Painting is a fun way to express Melanie's feelings.",
    ]);
  });

  it('gives no fact for questions, greetings and sentences with nothing in them', async () => {
    const out = await extractor.extract(
      episode(
        message('D1:1', 'Caroline', 'Hey Mel! Good to see you! How have you been?', at(8)),
        message('q1', 'Melanie', 'What did you do yesterday?', at(8)),
        message('q2', 'Caroline', 'Thanks, Melanie! That is really sweet.', at(8)),
      ),
    );
    expect(out.facts).toEqual([]);
  });

  it('finds people and records "Mel" as an alias of "Melanie"', async () => {
    const out = await extractor.extract(
      episode(
        message('D1:1', 'Caroline', 'Hey Mel! Good to see you! How have you been?', at(8)),
        message('m2', 'Melanie', 'My friend Jolene and I went hiking in Yosemite.', at(8)),
      ),
    );
    const melanie = out.entities.find((e) => e.name === 'Melanie');
    expect(melanie).toEqual({ name: 'Melanie', kind: 'person', aliases: ['Mel'] });
    expect(out.entities.find((e) => e.name === 'Mel')).toBeUndefined();
    expect(out.entities).toContainEqual({ name: 'Caroline', kind: 'person', aliases: [] });
    expect(out.entities).toContainEqual({ name: 'Jolene', kind: 'person', aliases: [] });
    const hike = fromMessage(out.facts, 'm2')[0];
    expect(hike?.subject).toBe('Melanie');
    expect(hike?.text).toBe("Melanie's friend Jolene and Melanie went hiking in Yosemite.");
    expect(hike?.entities).toEqual(expect.arrayContaining(['Melanie', 'Jolene']));
  });

  it('feeds decideUpdate: a later "live in" supersedes, a repeat is a noop, events accumulate', async () => {
    const out = await extractor.extract(
      episode(
        message('a', 'Caroline', 'I live in Boston.', at(8)),
        message('b', 'Caroline', 'I live in Paris now.', at(20, 6)),
        message('c', 'Caroline', 'I went to a pottery class yesterday.', at(9)),
        message('d', 'Caroline', 'I went to a pride parade yesterday.', at(21, 6)),
      ),
    );
    const [boston, paris, pottery, parade] = ['a', 'b', 'c', 'd'].map((id) => fromMessage(out.facts, id)[0]);
    expect(boston?.stateful).toBe(true);
    expect(paris).toMatchObject({ subject: 'Caroline', predicate: 'live in', object: 'Paris', stateful: true });
    expect(pottery?.stateful).toBe(false);
    expect(parade?.stateful).toBe(false);
    const hold = (id: string, f: ExtractedFact | undefined): HeldFact => ({
      id,
      subject: f?.subject ?? '',
      predicate: f?.predicate ?? '',
      object: f?.object ?? '',
      stateful: f?.stateful ?? false,
      validFrom: f?.validFrom ?? 0,
      validTo: null,
    });

    const moved = decideUpdate(paris as ExtractedFact, [hold('f-boston', boston)]);
    expect(moved.action).toBe('update');
    if (moved.action === 'update') {
      expect(moved.supersedes).toBe('f-boston');
      expect(moved.reason).toContain('Boston');
      expect(moved.reason).toContain('Paris');
    }
    const again = decideUpdate(paris as ExtractedFact, [hold('f-boston', boston), hold('f-paris', paris)]);
    expect(again).toMatchObject({ action: 'noop', existingId: 'f-paris' });
    const events = decideUpdate(parade as ExtractedFact, [hold('f-pottery', pottery)]);
    expect(events.action).toBe('add');
  });
});

describe('rule extractor on LoCoMo conversation 1, session 1', () => {
  // Read from the shared data folder, never copied into the project.
  const file = new URL('../../../../../shared/data/locomo/locomo7.json', import.meta.url);
  type Turn = { speaker: string; dia_id: string; text: string };
  const [sample] = JSON.parse(readFileSync(file, 'utf8')) as Array<{ conversation: Record<string, unknown> }>;
  const conversation = sample?.conversation ?? {};
  const speakers = [conversation.speaker_a, conversation.speaker_b] as string[];
  const sessionTime = chrono.parseDate(String(conversation.session_1_date_time))?.getTime() ?? Number.NaN;
  const turns = conversation.session_1 as Turn[];
  const input: ExtractInput = {
    episodeId: 'conv-26-s1',
    sessionId: 'session_1',
    messages: turns.map((t, i) => ({
      id: t.dia_id,
      speaker: t.speaker,
      others: speakers.filter((s) => s !== t.speaker),
      text: t.text,
      timestamp: sessionTime + i * 30_000,
    })),
  };

  it('extracts resolved, sourced facts from the real session', async () => {
    expect(new Date(sessionTime).getDate()).toBe(8);
    const out = await extractor.extract(input);
    const ids = new Set(input.messages.map((m) => m.id));
    expect(out.facts.length).toBeGreaterThanOrEqual(Math.ceil(input.messages.length / 3));
    const entityNames = new Set(out.entities.map((e) => e.name));
    for (const f of out.facts) {
      expect(f.subject.trim()).not.toBe('');
      expect(['i', 'me', 'my', 'we', 'you', 'us']).not.toContain(f.subject.toLowerCase());
      expect(f.text).not.toMatch(/\b(I|me|my|yesterday|last year)\b/);
      expect(f.sourceMessageIds.length).toBeGreaterThan(0);
      for (const id of f.sourceMessageIds) expect(ids.has(id)).toBe(true);
      for (const e of f.entities) expect(entityNames.has(e)).toBe(true);
    }
    for (const r of out.relationships) {
      expect(entityNames.has(r.from) && entityNames.has(r.to)).toBe(true);
    }
    expect(out.facts.map((f) => f.text)).toEqual(
      expect.arrayContaining([
        'Caroline went to a LGBTQ support group on 7 May 2023.',
        'Melanie painted that lake sunrise in 2022.',
      ]),
    );
    // Greetings and questions (D1:1, D1:10, D1:13) give nothing.
    expect(out.facts.filter((f) => ['D1:1', 'D1:10', 'D1:13'].some((id) => f.sourceMessageIds.includes(id)))).toEqual(
      [],
    );
    const melanie = out.entities.find((e) => e.name === 'Melanie');
    expect(melanie?.aliases).toEqual(['Mel']);
  });
});
