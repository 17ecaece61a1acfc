/**
 * Degrade, don't die: a damaged or missing keyword.db does not stop the engine. It opens, the damaged file is kept
 * aside, keyword.db is rebuilt from the journal, status() says what happened naming the file, and queries answer
 * (vector search first among them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { Engine } from '../engine';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const M0_ONLY = { layers: false, chunking: { shortTokens: 0 }, embedder: 'hashing' } as const;

async function populated(): Promise<string> {
  const t = tempDir('strata-degrade-');
  cleanups.push(t.cleanup);
  const engine = await Engine.open({ ...M0_ONLY, dataDir: t.dir });
  await engine.createSession({ id: 's', title: 'Harbour' });
  await engine.addMessages('s', [
    { id: 'm1', text: 'The ferry to the island leaves at nine.' },
    { id: 'm2', text: 'Bring the blue umbrella, it will rain.' },
    { id: 'm3', text: 'The harbour cafe opens early on Sundays.' },
  ]);
  await engine.close();
  return t.dir;
}

async function openAndQuery(dir: string) {
  const engine = await Engine.open({ ...M0_ONLY, dataDir: dir });
  cleanups.push(() => (engine.status().open ? engine.close() : undefined));
  const result = await engine.query({ text: 'when does the ferry to the island leave' });
  return { engine, result };
}

describe('degrade, do not die', () => {
  it('a corrupt keyword.db: the engine opens, keeps the damaged file, rebuilds it, and answers queries', async () => {
    const dir = await populated();
    const file = path.join(dir, 'keyword.db');
    fs.writeFileSync(file, 'this is not a database\n'.repeat(2_000));
    for (const ext of ['-wal', '-shm']) fs.rmSync(`${file}${ext}`, { force: true });
    const { engine, result } = await openAndQuery(dir);
    expect(result.hits[0]?.id).toBe('chunk:m1');
    const keyword = engine.status().stores.find((s) => s.store === 'keyword');
    expect(keyword).toMatchObject({ healthy: true, rebuilds: 1, lastError: { code: 'STORE_CORRUPT' } });
    expect(keyword?.lastError?.message).toMatch(/keyword\.db was corrupt .* rebuilt from the journal/);
    expect(await engine.storage.storeIds('keyword')).toEqual(['chunk:m1', 'chunk:m2', 'chunk:m3']);
    // The rebuilt keyword source answers too.
    const words = await engine.query({ text: 'umbrella' });
    expect(words.hits[0]?.id).toBe('chunk:m2');
    expect(fs.readdirSync(dir).some((f) => f.startsWith('keyword.db.corrupt-'))).toBe(true);
  });

  it('a deleted keyword.db: the engine opens, rebuilds it from the journal, and answers queries', async () => {
    const dir = await populated();
    for (const ext of ['', '-wal', '-shm']) fs.rmSync(path.join(dir, `keyword.db${ext}`), { force: true });
    const { engine, result } = await openAndQuery(dir);
    expect(result.hits[0]?.id).toBe('chunk:m1');
    expect(engine.status().stores.every((s) => s.healthy && s.pendingOps === 0)).toBe(true);
    expect(await engine.storage.storeIds('keyword')).toEqual(['chunk:m1', 'chunk:m2', 'chunk:m3']);
  });
});

/** Polls until `ok()` holds, with a bound generous enough for a loaded machine (a bound, not a timing assertion). */
async function until(ok: () => boolean | Promise<boolean>, what: string, boundMs = 90_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`still not ${what} after ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function running(): Promise<{ engine: Engine; dir: string }> {
  const dir = await populated();
  const engine = await Engine.open({ ...M0_ONLY, dataDir: dir });
  cleanups.push(() => (engine.status().open ? engine.close() : undefined));
  // Every reader has its connections open before the damage, as in a session that has been answering for a while.
  expect((await engine.query({ text: 'umbrella' })).hits[0]?.id).toBe('chunk:m2');
  return { engine, dir };
}

const storeOf = (engine: Engine, name: string) => engine.status().stores.find((s) => s.store === name);
const VECTOR_ONLY = { weights: { keyword: 0, graph: 0 } } as const;
const KEYWORD_ONLY = { weights: { vector: 0, graph: 0 } } as const;

describe('degrade at run time: a store that breaks while the engine runs', () => {
  it('keyword.db deleted: vector and hybrid queries answer, keyword is named as skipped, then rebuilt', async () => {
    const { engine, dir } = await running();
    const file = path.join(dir, 'keyword.db');
    fs.rmSync(file);

    const hybrid = engine.query({ text: 'when does the ferry to the island leave' });
    const vectorOnly = engine.query({ text: 'when does the ferry to the island leave', ...VECTOR_ONLY });
    // status() looks at the file itself: the deletion is noticed without waiting for a read to fail.
    const during = storeOf(engine, 'keyword');
    expect(during).toMatchObject({ healthy: false, readable: false, file, lastError: { code: 'STORE_UNAVAILABLE' } });
    expect(during?.lastError?.message).toMatch(/keyword\.db is missing/);

    const h = await hybrid;
    expect(h.hits[0]?.id).toBe('chunk:m1');
    expect(h.skipped).toEqual([
      { source: 'keyword', code: 'STORE_UNAVAILABLE', message: expect.stringMatching(/keyword\.db/), file },
    ]);
    const v = await vectorOnly;
    expect(v.hits[0]?.id).toBe('chunk:m1');
    expect(v.skipped).toEqual([]);

    // Rebuilt from the journal automatically: healthy again, and keyword hits come back.
    await until(() => storeOf(engine, 'keyword')?.healthy === true, 'healthy');
    const after = storeOf(engine, 'keyword');
    expect(after).toMatchObject({
      readable: true,
      pendingOps: 0,
      rebuilds: 1,
      lastError: { code: 'STORE_UNAVAILABLE' },
    });
    expect(after?.lastError?.message).toMatch(/rebuilt from the journal/);
    const words = await engine.query({ text: 'umbrella', ...KEYWORD_ONLY });
    expect(words.skipped).toEqual([]);
    expect(words.hits.map((x) => x.id)).toEqual(['chunk:m2']);
    expect(fs.existsSync(file)).toBe(true);

    // And it keeps up with new writes, as any store does.
    await engine.addMessages('s', [{ id: 'm4', text: 'The lighthouse keeper waves at every boat.' }]);
    await until(async () => (await engine.query({ text: 'lighthouse', ...KEYWORD_ONLY })).hits.length === 1, 'found');
  });

  it('graph.db overwritten with garbage: queries answer without it, it is kept aside and rebuilt', async () => {
    const { engine, dir } = await running();
    const file = path.join(dir, 'graph.db');
    const size = fs.statSync(file).size;
    // Garbage over every page, in place (same inode): only the file's content says it is damaged.
    fs.writeFileSync(file, Buffer.alloc(size, 0xa5), { flag: 'r+' });

    const hybrid = engine.query({ text: 'when does the ferry to the island leave' });
    const during = storeOf(engine, 'graph');
    expect(during).toMatchObject({ healthy: false, readable: false, file, lastError: { code: 'STORE_CORRUPT' } });
    expect(during?.lastError?.message).toMatch(/graph\.db is not a SQLite database/);
    const h = await hybrid;
    expect(h.hits[0]?.id).toBe('chunk:m1');
    expect(h.skipped.map((s) => [s.source, s.code, s.file])).toEqual([['graph', 'STORE_CORRUPT', file]]);

    await until(() => storeOf(engine, 'graph')?.healthy === true, 'healthy');
    expect(storeOf(engine, 'graph')).toMatchObject({ readable: true, rebuilds: 1 });
    expect((await engine.query({ text: 'ferry island' })).skipped).toEqual([]);
    expect(await engine.storage.storeIds('graph')).toEqual(['chunk:m1', 'chunk:m2', 'chunk:m3']);
    const kept = fs.readdirSync(dir).filter((f) => f.startsWith('graph.db.corrupt-') && !/-(wal|shm)$/.test(f));
    expect(kept).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, kept[0] as string)).subarray(0, 4)).toEqual(Buffer.alloc(4, 0xa5));
  });
});
