/**
 * Re-embed is atomic in effect: a re-embed killed mid-way (a real process, SIGKILL) leaves a directory that records
 * it; opened with the old embedder it refuses with EMBEDDER_MISMATCH saying how to continue, opened with the new
 * one without re-embedding it refuses too, and opened to re-embed it finishes, after which every vector is the new
 * embedder's. Never a silent mix.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { DIM, testEmbed } from '../../../../test/support/reembed-child';
import { StrataError } from '../../../shared/errors';
import { StorageManager } from './manager';
import { roundToHalf } from './vector-codec';

const CHILD = fileURLToPath(new URL('../../../../test/support/reembed-child.ts', import.meta.url));
const ITEMS = 1_200;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const texts = Array.from({ length: ITEMS }, (_, i) => `item ${i}: a sentence about topic ${i % 37}`);

async function refused(open: () => Promise<StorageManager>): Promise<StrataError> {
  try {
    const m = await open();
    await m.close();
  } catch (err) {
    expect(err).toBeInstanceOf(StrataError);
    return err as StrataError;
  }
  throw new Error('expected the open to be refused');
}

describe('re-embed killed mid-way', () => {
  it('is recorded: refused with the old embedder and without re-embedding, finished when asked', async () => {
    const t = tempDir('strata-reembed-');
    cleanups.push(t.cleanup);
    const first = await StorageManager.open({ dataDir: t.dir, dim: DIM, embedderId: 'test-a' });
    for (let at = 0; at < ITEMS; at += 400) {
      const page = texts.slice(at, at + 400);
      await first.writeToAll({
        items: page.map((text, i) => ({
          id: `item:${at + i}`,
          layer: 'm0' as const,
          kind: 'chunk',
          sessionId: null,
          text,
          sources: [],
        })),
        vectors: testEmbed('test-a', page),
      });
    }
    await first.close();

    // A real process re-embeds and is killed once some pages, not all, are done.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, t.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const killedAt = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const [word, done, total] = line.split(' ');
        if (word === 'progress' && Number(done) > 0 && Number(done) < Number(total)) {
          child.kill('SIGKILL');
          resolve(Number(done));
        }
      });
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`re-embed child ended on its own (${code}): ${stderr}`));
      });
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode ? r(null) : child.once('exit', r)));
    expect(killedAt).toBeLessThan(ITEMS);

    const old = await refused(() => StorageManager.open({ dataDir: t.dir, dim: DIM, embedderId: 'test-a' }));
    expect(old.code).toBe('EMBEDDER_MISMATCH');
    expect(old.message).toMatch(/middle of a re-embed to "test-b"/);
    expect(old.details).toMatchObject({ reembedTo: 'test-b', total: ITEMS });
    const silent = await refused(() => StorageManager.open({ dataDir: t.dir, dim: DIM, embedderId: 'test-b' }));
    expect(silent.code).toBe('EMBEDDER_MISMATCH');

    const m = await StorageManager.open({ dataDir: t.dir, dim: DIM, embedderId: 'test-b', acceptOtherEmbedder: true });
    cleanups.push(() => (m.status().open ? m.close() : undefined));
    expect(m.storedEmbedder).toBe('test-a');
    const progress: number[] = [];
    await m.reembed(
      async (batch) => testEmbed('test-b', batch),
      'test-b',
      (done) => progress.push(done),
    );
    expect(progress.at(-1)).toBe(ITEMS);
    expect(m.storedEmbedder).toBe('test-b');
    const ids = texts.map((_, i) => `item:${i}`);
    const { items, vectors } = await m.read('items', { ids, withVectors: true });
    const want = testEmbed(
      'test-b',
      items.map((i) => i.text),
    );
    // The journal keeps half floats (vector-codec.ts): what is read back is each new vector rounded to float16.
    roundToHalf(want);
    expect(vectors && Array.from(vectors)).toEqual(Array.from(want));
    await m.close();
    // Finished: the directory opens with the new embedder alone, and refuses the old one as any other would.
    const again = await StorageManager.open({ dataDir: t.dir, dim: DIM, embedderId: 'test-b' });
    await again.close();
  }, 180_000);
});
