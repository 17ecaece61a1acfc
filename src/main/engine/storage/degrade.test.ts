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
