/**
 * The IVF index through the whole engine: real writer and reader workers, the trainer started from the built store
 * worker bundle, the threshold lowered by STRATA_ANN_MIN_ROWS (read by the vector writer at open). stats() shows the
 * layer's index once trained and self-checked, and vector-only queries then go through it and still find each
 * message by its own text; a message written afterwards is found at once; stats().memory has every isolate's report.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../../../../test/support/fixtures';
import { Engine } from '../../engine';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const WORDS =
  'river lantern copper meadow signal harbor quartz ember violet tundra orchard basalt falcon drizzle summit'.split(
    ' ',
  );
const text = (i: number) =>
  `${Array.from({ length: 6 }, (_, j) => WORDS[(i * 7 + j * ((i % 5) + 1)) % WORDS.length]).join(' ')} item${i}`;

describe('IVF index through the engine', () => {
  it('is trained past the threshold, reported by stats(), and answers vector queries', async () => {
    const previous = process.env.STRATA_ANN_MIN_ROWS;
    process.env.STRATA_ANN_MIN_ROWS = '600';
    cleanups.push(() => {
      if (previous === undefined) delete process.env.STRATA_ANN_MIN_ROWS;
      else process.env.STRATA_ANN_MIN_ROWS = previous;
    });
    const t = tempDir();
    cleanups.push(t.cleanup);
    const engine = await Engine.open({
      dataDir: t.dir,
      embedder: 'hashing',
      layers: false,
      chunking: { shortTokens: 0 },
    });
    cleanups.push(() => (engine.status().open ? engine.close() : undefined));
    await engine.createSession({ id: 's' });
    for (let i = 0; i < 1200; i += 200) {
      await engine.addMessages(
        's',
        Array.from({ length: 200 }, (_, j) => ({ id: `m${i + j}`, role: 'user', speaker: 'u', text: text(i + j) })),
      );
    }
    await engine.flush();
    const annOf = async () => (await engine.stats()).stores.vector.ann?.find((a) => a.layer === 'm0');
    let ann = await annOf();
    await waitFor(
      async () => {
        ann = await annOf();
        return ann !== undefined && ann.recall !== null && !ann.rebuilding;
      },
      'the m0 index to be trained and self-checked',
      180_000,
    );
    expect(ann?.rows).toBe(1200);
    expect(ann?.nlist).toBeGreaterThanOrEqual(8);
    expect(ann?.nprobe).toBeGreaterThanOrEqual(1);
    expect(ann?.bytes).toBeGreaterThan(0);

    const vectorOnly = { weights: { keyword: 0, graph: 0, time: 0 }, group: false, k: 3 } as const;
    for (const i of [0, 17, 599, 1199]) {
      const r = await engine.query({ text: text(i), ...vectorOnly });
      expect(r.hits.map((h) => h.messageIds[0])).toContain(`m${i}`);
    }
    await engine.addMessages('s', [
      { id: 'fresh', role: 'user', speaker: 'u', text: 'a wholly different sentence about zebras' },
    ]);
    const r = await engine.query({ text: 'a wholly different sentence about zebras', ...vectorOnly });
    expect(r.hits[0]?.messageIds[0]).toBe('fresh');

    // Each isolate reports its own heap and caches: the writers hold their file at the writer's page-cache bound,
    // and the vector search reader holds the IVF cells its queries admitted (after they answered).
    const memory = (await engine.stats()).memory ?? [];
    const by = new Map(memory.map((m) => [m.isolate, m]));
    for (const name of ['main', 'core', 'vector', 'keyword', 'graph', 'reader', 'reader:vectorSearch', 'embed:0'])
      expect(by.get(name)?.heapUsedMb, name).toBeGreaterThan(0);
    expect(new Set(memory.map((m) => m.threadId)).size).toBe(memory.length);
    expect(by.get('core')?.connections).toEqual([{ file: 'core.db', cacheKiB: 32768 }]);
    expect(by.get('reader:vectorSearch')?.connections).toEqual([{ file: 'vector.db', cacheKiB: 8192 }]);
    expect(by.get('reader:vectorSearch')?.annCacheMb).toBeGreaterThan(0);
    expect(by.get('embed:0')?.connections).toEqual([]);
  }, 300_000);
});
