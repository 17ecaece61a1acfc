/**
 * Derived layers converge after any fault: an M1 write that committed while the M2 write after it did not (a
 * SIGKILL in between, or a journal write refused because another process holds core.db's write lock) ends, after
 * reopen or once the cause is gone and `flush()` is called, with exactly the facts of an uninterrupted run; and the
 * entities of a session deleted just before a kill are collected on the next open.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childScript } from '../../../../test/support/child';
import { readStores, tempDir } from '../../../../test/support/fixtures';
import { type ConvergeSession, convergeSessions, writeSession } from '../../../../test/support/layers-child';
import { STORE_NAMES } from '../../../shared/types';
import { Engine } from '../engine';

/** The child as vitest's set-up bundled it (plain Node starts it without transpiling). */
const CHILD = childScript('layers-child');
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** Generous: the child starts tsx, five workers and builds a session's layers on a machine that may be loaded. */
const CHILD_BUDGET_MS = 240_000;

const temps: { cleanup(): void }[] = [];
const temp = (prefix: string) => {
  const t = tempDir(prefix);
  temps.push(t);
  return t.dir;
};
afterAll(() => {
  for (const t of temps) t.cleanup();
});

function runChild(
  dataDir: string,
  point: 'after-m1' | 'after-delete',
): Promise<{ stdout: string; signal: string | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CHILD, dataDir, point], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, STRATA_EMBEDDER: 'hashing' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_BUDGET_MS);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (!stdout.includes(`KILL ${point}`)) reject(new Error(`the child did not reach ${point}: ${stderr}`));
      else resolvePromise({ stdout, signal });
    });
  });
}

/** Straight from core.db, without opening an engine (which would start building at once). */
function journalCounts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'core.db'), { readonly: true });
  try {
    const rows = db
      .prepare<[], { kind: string; n: number }>('SELECT kind, count(*) AS n FROM items GROUP BY kind')
      .all();
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  } finally {
    db.close();
  }
}

async function m2Of(engine: Engine) {
  const facts = (await engine.list('m2', { kind: 'fact' }, { limit: 1000 })).items;
  const entities = (await engine.list('m2', { kind: 'entity' }, { limit: 1000 })).items;
  return {
    facts: facts.map((f) => `${f.id} ${f.text} ${f.sources.join(',')}`).sort(),
    entities: entities.map((e) => e.id).sort(),
    decisions: (await engine.decisions()).map((d) => `${d.episodeId} ${d.action} ${d.candidate}`).sort(),
  };
}

async function expectStoresMatchJournal(engine: Engine): Promise<void> {
  const journal = await engine.storage.storeIds('core');
  for (const s of STORE_NAMES) expect(await engine.storage.storeIds(s), s).toEqual(journal);
}

let sessions: ConvergeSession[];
let baseline: Awaited<ReturnType<typeof m2Of>>;

beforeAll(async () => {
  sessions = convergeSessions();
  // The uninterrupted run the faulted ones must match.
  const engine = await Engine.open({ dataDir: temp('strata-converge-base-'), embedder: 'hashing' });
  try {
    await writeSession(engine, sessions[0] as ConvergeSession);
    await engine.flush();
    baseline = await m2Of(engine);
  } finally {
    await engine.close();
  }
  expect(baseline.facts.length).toBeGreaterThan(5);
}, CHILD_BUDGET_MS);

describe('an M1 write that committed while its M2 write did not', () => {
  it(
    'is completed on reopen after a SIGKILL between the two writes',
    async () => {
      const dir = temp('strata-converge-kill-');
      const run = await runChild(dir, 'after-m1');
      expect(run.signal).toBe('SIGKILL');
      // The window: episodes journaled, not one fact.
      const counts = journalCounts(dir);
      expect(counts.episode ?? 0).toBeGreaterThan(0);
      expect(counts.fact ?? 0).toBe(0);

      const engine = await Engine.open({ dataDir: dir, embedder: 'hashing' });
      try {
        await engine.flush();
        expect(await m2Of(engine)).toEqual(baseline);
        await expectStoresMatchJournal(engine);
        expect(engine.layers.status().lastError).toBeNull();
      } finally {
        await engine.close();
      }
    },
    CHILD_BUDGET_MS,
  );

  it(
    'is completed by flush() once a lock that refused the M2 write is released, and the error clears',
    async () => {
      const dir = temp('strata-converge-lock-');
      // A short busy timeout: the refused journal write gives up quickly instead of waiting out the lock.
      const engine = await Engine.open({ dataDir: dir, embedder: 'hashing', busyTimeoutMs: 200 });
      let blocker: Database.Database | null = null;
      try {
        engine.layers.onBuilt = (_sessionId, layer) => {
          if (layer !== 'm1' || blocker) return;
          // Another process's connection takes core.db's write lock right after M1 committed.
          blocker = new Database(join(dir, 'core.db'));
          blocker.exec('BEGIN IMMEDIATE');
        };
        await writeSession(engine, sessions[0] as ConvergeSession);
        await expect(engine.flush()).rejects.toMatchObject({ code: 'STORE_LOCKED' });
        expect(engine.layers.status().lastError).toMatchObject({ code: 'STORE_LOCKED' });
        expect((await engine.list('m1', { kind: 'episode' })).total).toBeGreaterThan(0);
        expect((await engine.list('m2', { kind: 'fact' })).total).toBe(0);

        (blocker as Database.Database | null)?.exec('ROLLBACK');
        (blocker as Database.Database | null)?.close();
        await engine.flush();
        expect(await m2Of(engine)).toEqual(baseline);
        expect(engine.layers.status().lastError).toBeNull();
        await expectStoresMatchJournal(engine);
      } finally {
        (blocker as Database.Database | null)?.close();
        await engine.close();
      }
    },
    CHILD_BUDGET_MS,
  );
});

describe('a kill right after an acknowledged deleteSession', () => {
  it(
    'leaves no entity of the deleted session once the engine is opened again',
    async () => {
      const dir = temp('strata-converge-orphans-');
      const run = await runChild(dir, 'after-delete');
      expect(run.signal).toBe('SIGKILL');
      const [victim, kept] = sessions as [ConvergeSession, ConvergeSession];
      const speaker = `entity:${String(victim.participants[0]).toLowerCase()}`;
      // The window: the session's own items are gone, the entities only it mentioned are not.
      const before = readStores(dir);
      expect(before.items.map((i) => i.id)).toContain(speaker);

      const engine = await Engine.open({ dataDir: dir, embedder: 'hashing' });
      try {
        await engine.flush();
        expect(await engine.storage.read('orphanEntities', {})).toEqual([]);
        const after = readStores(dir);
        for (const rows of [after.items, after.vector, after.keyword, after.nodes]) {
          expect(rows.map((r) => r.id)).not.toContain(speaker);
        }
        await expect(engine.get(speaker)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        const hits = await engine.query({ text: String(victim.participants[0]), k: 20 });
        expect(hits.hits.map((h) => h.id)).not.toContain(speaker);
        // The other session's people are still there.
        const keptSpeaker = `entity:${String(kept.participants[0]).toLowerCase()}`;
        expect(after.items.map((i) => i.id)).toContain(keptSpeaker);
        await expectStoresMatchJournal(engine);
      } finally {
        await engine.close();
      }
    },
    CHILD_BUDGET_MS,
  );
});
