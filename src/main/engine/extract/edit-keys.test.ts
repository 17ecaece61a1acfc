/**
 * What extraction keeps for the edits to work on, through a real engine (hashing embedder, real workers and files):
 * a framed fact ("Melanie said …") is keyed by its content, so its history holds only its own restatements and
 * corrections; and a name the user merged into another entity ("Mel" into "Melanie") is read back by later
 * extraction instead of coming back as an entity of its own. The alias table is also checked on its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import type { Item } from '../../../shared/types';
import { Engine } from '../engine';
import { aliasTable, resolveAliases } from './aliases';
import type { Extraction } from './types';

const open: { engine: Engine; dir: { cleanup(): void } }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.engine.close().catch(() => undefined);
    o.dir.cleanup();
  }
});

async function engineWith(): Promise<Engine> {
  const dir = tempDir('strata-edit-keys-');
  const engine = await Engine.open({ dataDir: dir.dir, embedder: 'hashing' });
  open.push({ engine, dir });
  return engine;
}

async function session(engine: Engine, id: string, at: Date, people: string[], lines: [string, string][]) {
  await engine.createSession({ id, participants: people, startedAt: at.getTime() });
  await engine.addMessages(
    id,
    lines.map(([speaker, text], i) => ({ role: 'user' as const, speaker, text, timestamp: at.getTime() + i * 60_000 })),
  );
  await engine.flush();
}

const facts = async (engine: Engine): Promise<Item[]> =>
  (await engine.list('m2', { kind: 'fact' }, { limit: 200 })).items;
const entities = async (engine: Engine): Promise<Item[]> =>
  (await engine.list('m2', { kind: 'entity' }, { limit: 200 })).items;

describe('a framed fact is keyed by what was said', () => {
  it("its history lists its own restatement and correction, not the speaker's other sayings", async () => {
    const engine = await engineWith();
    const people = ['Melanie', 'Caroline'];
    await session(engine, 's1', new Date(2023, 4, 8, 13), people, [
      ['Melanie', 'They eat a combination of vegetables, fruits, and insects.'],
      ['Caroline', 'Nice.'],
      ['Melanie', "It's moments like these that bring love and joy."],
    ]);
    await session(engine, 's2', new Date(2023, 5, 9, 13), people, [
      ['Melanie', 'They eat a combination of vegetables, fruits, and insects.'],
    ]);
    const framed = (await facts(engine)).filter((f) => f.text.startsWith('Melanie said '));
    expect(framed.map((f) => [f.text, f.data?.predicate]).sort()).toEqual([
      [
        'Melanie said it is moments like these that bring love and joy.',
        'say: it is moments like these that bring love and joy',
      ],
      [
        'Melanie said they eat a combination of vegetables, fruits, and insects.',
        'say: they eat a combination of vegetables fruits and insects',
      ],
      [
        'Melanie said they eat a combination of vegetables, fruits, and insects.',
        'say: they eat a combination of vegetables fruits and insects',
      ],
    ]);
    const diet = framed
      .filter((f) => f.text.includes('insects'))
      .sort((a, b) => (a.validFrom ?? 0) - (b.validFrom ?? 0));
    const joy = framed.find((f) => f.text.includes('joy')) as Item;
    // The second session's restatement is the same saying again (another day: a new event), the only other version.
    expect((await engine.history({ factId: diet[0]?.id as string })).versions.map((v) => v.fact.id)).toEqual(
      diet.map((f) => f.id),
    );
    const history = await engine.history({ factId: joy.id });
    expect(history.versions.map((v) => v.fact.text)).toEqual([joy.text]);
    expect(history.versions[0]?.decision?.reason).toBe(
      'new event: "Melanie say it is moments like these that bring love and joy"',
    );

    const { factId } = await engine.correct({ id: joy.id, text: 'Melanie said moments like these bring her joy.' });
    const corrected = await engine.history({ factId });
    expect(corrected.versions.map((v) => [v.fact.text, v.current])).toEqual([
      [joy.text, false],
      ['Melanie said moments like these bring her joy.', true],
    ]);
    expect((await engine.history({ factId: diet[0]?.id as string })).versions).toHaveLength(2);
  }, 120_000);
});

describe('extraction reads merged names', () => {
  it('after "Mel" is merged into "Melanie", a later message about Mel is about Melanie', async () => {
    const engine = await engineWith();
    await session(
      engine,
      's1',
      new Date(2023, 4, 8, 13),
      ['Melanie', 'Caroline'],
      [['Melanie', 'I painted a lake sunrise last week.']],
    );
    await session(
      engine,
      's2',
      new Date(2023, 4, 9, 13),
      ['Caroline', 'John'],
      [['John', 'I met Mel at the pottery class in Boston.']],
    );
    expect((await entities(engine)).map((e) => e.id).sort()).toEqual([
      'entity:boston',
      'entity:john',
      'entity:mel',
      'entity:melanie',
    ]);
    await engine.mergeEntities({ keepId: 'entity:melanie', mergeId: 'entity:mel' });

    await session(
      engine,
      's3',
      new Date(2023, 4, 12, 13),
      ['Caroline', 'John'],
      [['Caroline', 'Mel is running a charity race in Boston next month.']],
    );
    const after = await entities(engine);
    expect(after.map((e) => e.id).sort()).toEqual([
      'entity:boston',
      'entity:caroline',
      'entity:john',
      'entity:melanie',
    ]);
    expect(after.find((e) => e.id === 'entity:melanie')).toMatchObject({
      text: 'Melanie (also Mel)',
      data: { name: 'Melanie', aliases: ['Mel'] },
    });
    const race = (await facts(engine)).find((f) => f.sessionId === 's3');
    expect(race).toMatchObject({ text: 'Mel is running a charity race in Boston in June 2023.' });
    expect(race?.data).toMatchObject({ subject: 'Melanie', subjectKey: 'melanie' });
    expect(race?.links.map((l) => l.dst).sort()).toEqual(['entity:boston', 'entity:melanie']);
  }, 120_000);
});

describe('the alias table', () => {
  const x: Extraction = {
    facts: [
      {
        text: 'Mel met Mo.',
        subject: 'Mel',
        predicate: 'meet',
        object: 'Mo',
        validFrom: 0,
        stateful: false,
        entities: ['Mel', 'Mo', 'Melanie'],
        sourceMessageIds: ['m0'],
      },
    ],
    entities: [
      { name: 'Mel', kind: 'person', aliases: [] },
      { name: 'Melanie', kind: 'person', aliases: [] },
      { name: 'Mo', kind: 'person', aliases: [] },
    ],
    relationships: [
      { from: 'Mel', to: 'Melanie', kind: 'mentioned with', sourceMessageIds: ['m0'] },
      { from: 'Mel', to: 'Mo', kind: 'mentioned with', sourceMessageIds: ['m0'] },
    ],
    via: 'rules',
  };

  it('maps merged and renamed names to the entity, keeps a name that is an entity, drops a shared alias', () => {
    const table = aliasTable([
      { id: 'entity:melanie', data: { name: 'Melanie', aliases: ['Mel', 'M'] } },
      // Renamed from "Maurice" to "Mo": the id is still built from the old name.
      { id: 'entity:maurice', data: { name: 'Mo', aliases: ['Maurice', 'M'] } },
      { id: 'entity:mel', data: { name: 'Mel', aliases: [] } },
    ]);
    expect([...table.entries()].sort()).toEqual([['mo', 'Maurice']]);

    const merged = aliasTable([{ id: 'entity:melanie', data: { name: 'Melanie', aliases: ['Mel'] } }]);
    const out = resolveAliases(x, merged);
    expect(out.entities).toEqual([
      { name: 'Melanie', kind: 'person', aliases: ['Mel'] },
      { name: 'Mo', kind: 'person', aliases: [] },
    ]);
    expect(out.facts[0]).toMatchObject({ text: 'Mel met Mo.', subject: 'Melanie', entities: ['Melanie', 'Mo'] });
    expect(out.relationships).toEqual([
      { from: 'Melanie', to: 'Mo', kind: 'mentioned with', sourceMessageIds: ['m0'] },
    ]);
  });
});
