import { afterEach, describe, expect, it } from 'vitest';
import { readStores, tempDir } from '../../../../test/support/fixtures';
import { Engine } from '../engine';
import type { Embedder } from './embedder';
import { hashEmbedAll } from './hashing';
import { EmbedderPool, nextWork } from './pool';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pool(...args: Parameters<typeof EmbedderPool.open>): Promise<EmbedderPool> {
  const p = await EmbedderPool.open(...args);
  cleanups.push(() => p.close());
  return p;
}

const row = (v: Float32Array, i: number, dim: number) => v.subarray(i * dim, (i + 1) * dim);
const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
const norm = (a: Float32Array) => Math.sqrt(cosine(a, a));

const TEXTS = [
  'Caroline: I went to a LGBTQ support group yesterday and it was so powerful.',
  'Melanie: I painted a lake sunrise last year, it is special to me.',
  'Caroline: I am keen on counseling and mental health as a career.',
  'Melanie: We went camping in the mountains with the kids last weekend.',
];

describe('USE-lite on the pool', () => {
  it('is deterministic, 512-dimensional and unit length, across workers and pools', async () => {
    const a = await pool('use-lite', { workers: 2, cacheEntries: 0, chunk: 1 });
    const b = await pool('use-lite', { workers: 1, cacheEntries: 0 });
    expect(a.status()).toMatchObject({ id: 'use-lite-512', kind: 'use-lite', dim: 512, workers: 2, fallback: null });
    const va = await a.embed(TEXTS);
    const vb = await b.embed(TEXTS);
    expect(va.length).toBe(TEXTS.length * 512);
    expect(Array.from(va)).toEqual(Array.from(vb));
    for (let i = 0; i < TEXTS.length; i++) expect(norm(row(va, i, 512))).toBeCloseTo(1, 5);
    expect(Array.from(await a.embed(TEXTS))).toEqual(Array.from(va));
  });

  it('places a paraphrase nearer than unrelated text (it knows meaning, not just spelling)', async () => {
    const p = await pool('use-lite', { workers: 1 });
    const v = await p.embed([
      'We adopted a puppy last week.',
      'Recently we got a new dog.',
      'The quarterly tax filing is due on Friday.',
    ]);
    const [q, para, other] = [0, 1, 2].map((i) => row(v, i, 512)) as [Float32Array, Float32Array, Float32Array];
    expect(cosine(q, para)).toBeGreaterThan(cosine(q, other) + 0.1);
  });

  it('never embeds the same text twice: repeats in a batch and across calls come from the cache', async () => {
    const p = await pool('use-lite', { workers: 2 });
    const v = await p.embed([TEXTS[0] as string, TEXTS[1] as string, TEXTS[0] as string]);
    expect(Array.from(row(v, 2, 512))).toEqual(Array.from(row(v, 0, 512)));
    expect(p.status()).toMatchObject({ embedded: 2, cacheEntries: 2 });
    const again = await p.embed([TEXTS[1] as string]);
    expect(Array.from(again)).toEqual(Array.from(row(v, 1, 512)));
    expect(p.status()).toMatchObject({ embedded: 2, cacheHits: 1 });
  });

  it('falls back to the hashing embedder when the model cannot load, and says so', async () => {
    const p = await pool('use-lite', { workers: 1, modelDir: '/nonexistent/strata-model' });
    const s = p.status();
    expect(s).toMatchObject({ id: 'hashing-512', kind: 'hashing', dim: 512 });
    expect(s.fallback?.from).toBe('use-lite');
    expect(s.fallback?.reason).toContain('/nonexistent/strata-model/model.json');
    const v = await p.embed(['still works']);
    expect(norm(v)).toBeCloseTo(1, 5);
  });
});

describe('hashing on the pool', () => {
  it('is deterministic at the requested dimension and matches across workers', async () => {
    const a = await pool('hashing', { workers: 2, hashingDim: 64, cacheEntries: 0, chunk: 1 });
    const b = await pool('hashing', { workers: 1, hashingDim: 64, cacheEntries: 0 });
    expect(a.id).toBe('hashing-64');
    const va = await a.embed(TEXTS);
    expect(va.length).toBe(TEXTS.length * 64);
    expect(Array.from(va)).toEqual(Array.from(await b.embed(TEXTS)));
  });

  it('embeds a text asked for by two callers at once only once, with no cache to help', async () => {
    const p = await pool('hashing', { workers: 2, hashingDim: 64, cacheEntries: 0 });
    const [x, y] = await Promise.all([p.embed(TEXTS), p.embed([TEXTS[2] as string, TEXTS[3] as string])]);
    expect(Array.from(y)).toEqual(Array.from(x.subarray(2 * 64)));
    expect(p.status().embedded).toBe(TEXTS.length);
  });

  it('takes foreground texts first, then layer tasks, then background texts (the policy, as a table)', () => {
    expect(nextWork(1, 5, 9)).toBe('foreground');
    expect(nextWork(0, 5, 9)).toBe('task');
    expect(nextWork(0, 0, 9)).toBe('background');
    expect(nextWork(0, 0, 0)).toBeNull();
  });

  it('answers a foreground request correctly while extractions and background texts are queued, and finishes them all', async () => {
    const p = await pool('hashing', { workers: 2, hashingDim: 64, chunk: 2 });
    const input = (i: number) => ({
      episodeId: `e${i}`,
      sessionId: 's',
      messages: [
        {
          id: `m${i}`,
          speaker: 'Caroline',
          others: ['Melanie'],
          text: `I went to the pottery class in Boston with Melanie yesterday, number ${i}.`,
          timestamp: Date.UTC(2023, 4, 8),
        },
      ],
    });
    const extractions = Array.from({ length: 12 }, (_, i) => p.extract(input(i)));
    const backlog = Array.from({ length: 400 }, (_, i) => `background text ${i}`);
    const background = p.embed(backlog, { priority: 'background' });
    const foreground = await p.embed(['a write waiting on M0']);
    expect(Array.from(foreground)).toEqual(Array.from(hashEmbedAll(['a write waiting on M0'], 64)));
    const done = await Promise.all(extractions);
    expect(done).toHaveLength(12);
    for (const e of done) expect(e.facts.length).toBeGreaterThan(0);
    expect(Array.from(await background)).toEqual(Array.from(hashEmbedAll(backlog, 64)));
  });
});

describe('the engine and its embedder', () => {
  it('shows the embedder and a fallback in status', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const engine = await Engine.open({
      dataDir: t.dir,
      embedder: 'use-lite',
      modelDir: '/nonexistent',
      embedWorkers: 1,
    });
    cleanups.push(() => engine.close());
    expect(engine.status().embedder).toMatchObject({ id: 'hashing-512', fallback: { from: 'use-lite' } });
  });

  it('refuses a data directory written by another embedder, naming both', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const first = await Engine.open({ dataDir: t.dir, embedder: 'hashing', embedWorkers: 1 });
    await first.createSession({ id: 's' });
    await first.addMessages('s', [{ text: 'written with hashing vectors' }]);
    await first.close();
    const err = await Engine.open({ dataDir: t.dir, embedder: 'use-lite', embedWorkers: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EMBEDDER_MISMATCH' });
    expect((err as Error).message).toContain('"hashing-512"');
    expect((err as Error).message).toContain('"use-lite-512"');
    // The refused open left nothing behind: the right embedder still opens it.
    const again = await Engine.open({ dataDir: t.dir, embedder: 'hashing', embedWorkers: 1 });
    cleanups.push(() => again.close());
    expect((await again.listMessages('s')).map((m) => m.text)).toEqual(['written with hashing vectors']);
  });

  it('re-embeds a directory written by another embedder when asked, with progress, and then opens plainly', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const first = await Engine.open({ dataDir: t.dir, embedder: 'hashing', embedWorkers: 1, layers: false });
    await first.createSession({ id: 's' });
    await first.addMessages('s', [
      { id: 'a', text: 'We adopted a puppy last week and the kids love her.' },
      { id: 'b', text: 'The quarterly tax filing is due on Friday.' },
    ]);
    await first.close();
    const before = readStores(t.dir).vector;

    const progress: [number, number][] = [];
    const second = await Engine.open({
      dataDir: t.dir,
      embedder: 'use-lite',
      embedWorkers: 1,
      layers: false,
      reembed: { onProgress: (done, total) => progress.push([done, total]) },
    });
    const after = readStores(t.dir).vector;
    expect(progress.at(-1)).toEqual([2, 2]);
    expect(after.map((v) => v.id)).toEqual(before.map((v) => v.id));
    after.forEach((v, i) => {
      expect(v.embedding).not.toBe(before[i]?.embedding);
    });
    expect(second.status().embedder.id).toBe('use-lite-512');
    await second.close();
    // The directory now names USE-lite: it opens without re-embedding, and hashing is refused.
    const third = await Engine.open({ dataDir: t.dir, embedder: 'use-lite', embedWorkers: 1, layers: false });
    await third.close();
    await expect(Engine.open({ dataDir: t.dir, embedder: 'hashing', embedWorkers: 1 })).rejects.toMatchObject({
      code: 'EMBEDDER_MISMATCH',
    });
  });

  it('refuses vectors of the wrong dimension from an embedder, and writes nothing', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const broken: Embedder = {
      id: 'broken-8',
      dim: 8,
      embed: async (texts) => new Float32Array(texts.length * 7).fill(1),
    };
    const engine = await Engine.open({ dataDir: t.dir, embedder: broken });
    cleanups.push(() => engine.close());
    await engine.createSession({ id: 's' });
    await expect(engine.addMessages('s', [{ text: 'hello' }])).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
    expect(await engine.listMessages('s')).toEqual([]);
    expect(engine.status().embedder).toMatchObject({ id: 'broken-8', kind: 'custom' });
  });

  it('rejects an unknown embedder name naming the field', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    await expect(Engine.open({ dataDir: t.dir, embedder: 'word2vec' as never })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'embedder: expected one of static, use-lite, hashing, got "word2vec"',
    });
  });
});
