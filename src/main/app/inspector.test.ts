import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/fixtures';
import { Engine } from '../engine/engine';
import { listItems } from './inspector';

let engine: Engine;
let cleanup: () => void;

beforeAll(async () => {
  const t = tempDir('strata-inspector-');
  cleanup = t.cleanup;
  engine = await Engine.open({ dataDir: t.dir, embedder: 'hashing', layers: false, chunking: { shortTokens: 0 } });
  for (const id of ['a', 'b']) await engine.createSession({ id });
  await engine.addMessages('a', [
    { id: 'pct', role: 'user', speaker: 'Ann', text: 'I am 100% sure about the plan' },
    { id: 'under', role: 'user', speaker: 'Ann', text: 'the file is called notes_final' },
  ]);
  await engine.addMessages('b', [
    { id: 'plain', role: 'user', speaker: 'Bob', text: 'A PLAIN message with no symbols' },
  ]);
});

afterAll(async () => {
  await engine.close();
  cleanup();
});

const ids = async (input: Parameters<typeof listItems>[1]) => (await listItems(engine, input)).items.map((i) => i.id);

describe('listing a layer with filters', () => {
  it('matches text as a literal, case-insensitive substring: % and _ are plain characters', async () => {
    expect(await ids({ layer: 'm0', text: '%' })).toEqual(['chunk:pct']);
    expect(await ids({ layer: 'm0', text: '_' })).toEqual(['chunk:under']);
    expect(await ids({ layer: 'm0', text: 'plain' })).toEqual(['chunk:plain']);
  });

  it('combines kind, session and text, and counts the whole match for paging', async () => {
    expect(await ids({ layer: 'm0', kind: 'chunk', sessionId: 'a' })).toEqual(['chunk:pct', 'chunk:under']);
    expect(await ids({ layer: 'm0', sessionId: 'b', text: 'the' })).toEqual([]);
    const page = await listItems(engine, { layer: 'm0', limit: 1, offset: 1 });
    expect(page.total).toBe(3);
    expect(page.items.map((i) => i.id)).toEqual(['chunk:under']);
  });
});
