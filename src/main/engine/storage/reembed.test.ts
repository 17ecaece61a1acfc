/**
 * Re-embed is atomic in effect: a re-embed killed mid-way (a real process, SIGKILL) leaves a directory that records
 * it, with the new vectors staged beside the items, which still hold the old ones. Opened with the new embedder
 * without re-embedding it refuses; opened with the old embedder it drops what was staged and opens as it was before
 * (every vector the old embedder's, byte for byte, with nothing embedded again: a cancel costs no pass back); a
 * re-embed then finishes, after which every vector is the new embedder's. Never a silent mix. A re-embed cancelled
 * in this process (its progress callback throws, as the app's Cancel does) ends the same way.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { childScript } from '../../../../test/support/child';
import { tempDir } from '../../../../test/support/fixtures';
import { DIM, testEmbed } from '../../../../test/support/reembed-child';
import { StrataError } from '../../../shared/errors';
import { StorageManager } from './manager';
import { roundToHalf } from './vector-codec';

/** The child as vitest's set-up bundled it (plain Node starts it without transpiling). */
const CHILD = childScript('reembed-child');
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

/** core.db as it is on disk: each item's stored vector (hex), rows staged by a re-embed, and its re-embed record. */
function journal(dir: string): { vectors: Record<string, string>; staged: number; record: string | null } {
  const db = new Database(join(dir, 'core.db'), { readonly: true });
  try {
    const vectors = Object.fromEntries(
      db
        .prepare<[], { id: string; v: Buffer }>('SELECT id, vector AS v FROM items ORDER BY id')
        .all()
        .map((r) => [r.id, r.v.toString('hex')]),
    );
    const hasStage = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'reembed_staged'").get() !== undefined;
    const staged = hasStage
      ? (db.prepare<[], { n: number }>('SELECT count(*) AS n FROM reembed_staged').get()?.n ?? 0)
      : 0;
    const record =
      db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'reembed'").get()?.value ?? null;
    return { vectors, staged, record };
  } finally {
    db.close();
  }
}

/** Opens `dir` with the old embedder after a cut-short re-embed: it opens, as it was, and embeds nothing. */
async function backToOld(dir: string, before: Record<string, string>): Promise<void> {
  const m = await StorageManager.open({ dataDir: dir, dim: DIM, embedderId: 'test-a' });
  expect(m.storedEmbedder).toBe('test-a');
  await m.close();
  const after = journal(dir);
  expect(after.record).toBeNull();
  expect(after.staged).toBe(0);
  expect(after.vectors).toEqual(before);
}

async function seed(dir: string): Promise<void> {
  const first = await StorageManager.open({ dataDir: dir, dim: DIM, embedderId: 'test-a' });
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
}

describe('re-embed killed mid-way', () => {
  it('is recorded: refused with the old embedder and without re-embedding, finished when asked', async () => {
    const t = tempDir('strata-reembed-');
    cleanups.push(t.cleanup);
    await seed(t.dir);
    const before = journal(t.dir).vectors;

    // A real process re-embeds and is killed once some pages, not all, are done.
    const child = spawn(process.execPath, [CHILD, t.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
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

    const silent = await refused(() => StorageManager.open({ dataDir: t.dir, dim: DIM, embedderId: 'test-b' }));
    expect(silent.code).toBe('EMBEDDER_MISMATCH');
    expect(journal(t.dir).staged).toBeGreaterThan(0);
    expect(journal(t.dir).vectors).toEqual(before);

    // Back to the old embedder: what was staged is dropped, nothing is embedded, the vectors are as they were.
    await backToOld(t.dir, before);

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

describe('re-embed cancelled', () => {
  it('keeps the old vectors until the commit, so going back embeds nothing', async () => {
    const t = tempDir('strata-reembed-cancel-');
    cleanups.push(t.cleanup);
    await seed(t.dir);
    const before = journal(t.dir).vectors;
    const m = await StorageManager.open({ dataDir: t.dir, dim: DIM, embedderId: 'test-b', acceptOtherEmbedder: true });
    let embedded = 0;
    const cancelled = await m
      .reembed(
        async (batch) => {
          embedded += batch.length;
          return testEmbed('test-b', batch);
        },
        'test-b',
        (done) => {
          if (done >= 512) throw new StrataError('REEMBEDDING', 're-embed cancelled');
        },
      )
      .then(
        () => null,
        (err: unknown) => err,
      );
    expect((cancelled as StrataError).code).toBe('REEMBEDDING');
    await m.close();
    expect(embedded).toBe(512);
    // Cut short before the commit: the items still hold the old vectors; the new ones are only staged.
    expect(journal(t.dir).vectors).toEqual(before);
    expect(journal(t.dir).staged).toBe(512);
    await backToOld(t.dir, before);
  }, 120_000);
});
