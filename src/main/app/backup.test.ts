import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine';
import { backupDataDir, restoreBackup } from './backup';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'strata-backup-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const batch = (n: number) =>
  Array.from({ length: 20 }, (_, i) => ({
    id: `b${n}-m${i}`,
    speaker: 'Ann',
    text: `batch${n} token${n}x${i} about gardens`,
  }));

describe('backup and restore', () => {
  it('a backup taken while writing restores to an acknowledged state, stores consistent with the journal', async () => {
    const dir = temp();
    const engine = await Engine.open({ dataDir: dir, embedder: 'hashing', layers: false });
    await engine.createSession({ id: 's1', title: 'Writes' });
    const acked: number[] = [];
    let stop = false;
    let n = 0;
    const writer = (async () => {
      while (!stop) {
        const k = n++;
        await engine.addMessages('s1', batch(k));
        acked.push(k);
      }
    })();
    while (acked.length < 5) await new Promise((r) => setTimeout(r, 10));
    const ackedBefore = acked.length;
    const out = join(temp(), 'strata.backup');
    const manifest = await backupDataDir(dir, out);
    const issuedAfter = n;
    stop = true;
    await writer;
    await engine.close();
    expect(manifest.files.map((f) => f.name)).toEqual(['vector.db', 'keyword.db', 'graph.db', 'core.db']);
    expect(manifest.embedder).toMatch(/hashing/);

    const restored = join(temp(), 'restored');
    await restoreBackup(out, restored);
    const back = await Engine.open({ dataDir: restored, embedder: 'hashing', layers: false });
    try {
      const messages = await back.listMessages('s1');
      const batches = [...new Set(messages.map((m) => Number(/^b(\d+)-/.exec(m.id)?.[1])))].sort((a, b) => a - b);
      // Whole batches only, in order: every batch acknowledged before the backup began, none not yet issued at its end.
      expect(messages).toHaveLength(batches.length * 20);
      expect(batches).toEqual(Array.from({ length: batches.length }, (_, i) => i));
      expect(batches.length).toBeGreaterThanOrEqual(ackedBefore);
      expect(batches.length).toBeLessThanOrEqual(issuedAfter);
      expect(manifest.journalSeq).toBeGreaterThan(0);
      // Every store holds what the journal holds (replayed on open where a store's copy was older).
      await back.flush();
      const status = back.status();
      expect(status.stores.every((s) => s.healthy && s.appliedSeq === status.journalSeq)).toBe(true);
      const last = batches[batches.length - 1] as number;
      const hits = await back.query({ text: `token${last}x3`, k: 3, layers: ['m0'] });
      expect(hits.hits[0]?.text).toContain(`token${last}x3`);
      const stats = await back.stats();
      expect(stats.stores.keyword?.rows).toBe(stats.stores.core?.rows);
      expect(stats.stores.vector?.rows).toBe(stats.stores.core?.rows);
    } finally {
      await back.close();
    }
  });

  it('refuses a damaged, a truncated or a newer backup, and a folder that is not empty, writing nothing', async () => {
    const dir = temp();
    const engine = await Engine.open({ dataDir: dir, embedder: 'hashing', layers: false });
    await engine.createSession({ id: 's1' });
    await engine.addMessages('s1', batch(0));
    await engine.close();
    const out = join(temp(), 'b.backup');
    await backupDataDir(dir, out);
    const bytes = new Uint8Array(readFileSync(out));
    const entries = unzipSync(bytes);

    const damaged = join(temp(), 'damaged.backup');
    const core = entries['core.db'] as Uint8Array;
    const flipped = core.slice();
    flipped[Math.floor(flipped.length / 2)] = (flipped[Math.floor(flipped.length / 2)] as number) ^ 0xff;
    writeFileSync(damaged, zipSync({ ...entries, 'core.db': flipped }, { level: 0 }));
    const truncated = join(temp(), 'truncated.backup');
    writeFileSync(truncated, bytes.slice(0, Math.floor(bytes.length / 3)));
    const newer = join(temp(), 'newer.backup');
    const manifest = JSON.parse(new TextDecoder().decode(entries['manifest.json']));
    writeFileSync(
      newer,
      zipSync({ ...entries, 'manifest.json': strToU8(JSON.stringify({ ...manifest, version: 99 })) }),
    );
    const newerSchema = join(temp(), 'newer-schema.backup');
    manifest.files[3].schemaVersion = 99;
    writeFileSync(newerSchema, zipSync({ ...entries, 'manifest.json': strToU8(JSON.stringify(manifest)) }));

    const cases: [string, string, RegExp][] = [
      [damaged, 'STORE_CORRUPT', /core\.db: checksum does not match/],
      [truncated, 'STORE_CORRUPT', /(not a readable backup|missing|no manifest|lists no)/],
      [newer, 'SCHEMA_TOO_NEW', /backup format 99 is newer/],
      [newerSchema, 'SCHEMA_TOO_NEW', /core\.db in the backup has schema version 99/],
    ];
    for (const [file, code, message] of cases) {
      const target = join(temp(), 'target');
      await expect(restoreBackup(file, target)).rejects.toMatchObject({
        code,
        message: expect.stringMatching(message),
      });
      expect(() => readFileSync(join(target, 'core.db'))).toThrow();
    }
    const full = temp();
    mkdirSync(join(full, 'x'));
    await expect(restoreBackup(out, full)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: /not empty/ });
  });
});
