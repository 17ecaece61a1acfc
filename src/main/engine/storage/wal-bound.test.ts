/**
 * A long import is never idle, so the idle checkpoint never comes: every writer (the journal and each store) folds
 * its WAL back every `checkpointRows` rows instead. Real files and workers; writes kept two in flight back to back,
 * as the import does, so the engine is never idle. The same stream with the row checkpoint switched off shows what
 * the bound is against: the journal's WAL then holds the whole import.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { rng } from '../../../shared/rng';
import { StorageManager } from './manager';

const DIM = 128;
const BATCHES = 24;
const PER = 400;
const FILES = ['core.db', 'vector.db', 'keyword.db', 'graph.db'] as const;

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const size = (f: string): number => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

/** Writes BATCHES bulk batches (new sessions, their messages and chunks), two in flight; the largest WAL seen. */
async function importStream(checkpointRows: number): Promise<{ maxWal: Record<string, number>; db: number }> {
  const t = tempDir('strata-wal-');
  cleanups.push(t.cleanup);
  const storage = await StorageManager.open({ dataDir: t.dir, dim: DIM, checkpointRows, durability: 'process' });
  const next = rng(11);
  const maxWal: Record<string, number> = Object.fromEntries(FILES.map((f) => [f, 0]));
  const look = (): void => {
    for (const f of FILES) maxWal[f] = Math.max(maxWal[f] ?? 0, size(join(t.dir, `${f}-wal`)));
  };
  const batch = (b: number) => {
    const sessions = Array.from({ length: PER / 20 }, (_, s) => ({
      id: `s-${b}-${s}`,
      title: `Conversation ${b}.${s}`,
      participants: ['Ann', 'Bo'],
      startedAt: 1_700_000_000_000,
      userId: 'Ann',
      agentId: null,
      createdAt: 1_700_000_000_000,
    }));
    const messages = Array.from({ length: PER }, (_, i) => ({
      id: `m-${b}-${i}`,
      sessionId: `s-${b}-${Math.floor(i / 20)}`,
      role: 'user',
      speaker: i % 2 ? 'Bo' : 'Ann',
      text: `message ${b}.${i} about the garden, the lease and the trip to Lisbon in spring`,
      timestamp: 1_700_000_000_000 + i,
      externalId: null,
      metadata: null,
    }));
    const items = messages.map((m) => ({
      id: `chunk:${m.id}`,
      layer: 'm0' as const,
      kind: 'chunk',
      sessionId: m.sessionId,
      text: `${m.speaker}: ${m.text}`,
      sources: [m.id],
    }));
    const vectors = Float32Array.from({ length: PER * DIM }, () => next() - 0.5);
    return { sessions, messages, items, vectors, newSessions: true };
  };
  let started = 0;
  // Two writes always in flight: the next starts the moment one lands, so no idle moment ever comes.
  const lane = async (): Promise<void> => {
    while (started < BATCHES) {
      const b = started++;
      await storage.writeToAll(batch(b));
      look();
    }
  };
  await Promise.all([lane(), lane()]);
  look();
  const db = size(join(t.dir, 'core.db'));
  await storage.close();
  return { maxWal, db };
}

describe('WAL stays bounded through a long import', () => {
  it('every writer checkpoints each checkpointRows rows: no WAL grows with the import', async () => {
    const bounded = await importStream(2 * PER);
    const unbounded = await importStream(Number.MAX_SAFE_INTEGER);
    console.log('largest WAL (bytes), row checkpoint on:', bounded.maxWal, 'core.db', bounded.db);
    console.log('largest WAL (bytes), row checkpoint off:', unbounded.maxWal, 'core.db', unbounded.db);
    // Off, the journal's WAL holds everything written: more than the whole import's journal once checkpointed.
    expect(unbounded.maxWal['core.db']).toBeGreaterThan(bounded.db);
    // On, each WAL holds a few batches at most (the checkpoint runs after the write that crossed the bound, and a
    // slow machine may let a couple more land first), a small part of what the import wrote.
    for (const f of FILES) {
      expect(bounded.maxWal[f], f).toBeGreaterThan(0);
      expect(bounded.maxWal[f], f).toBeLessThan((unbounded.maxWal[f] as number) / 2.5);
    }
    expect(bounded.maxWal['core.db']).toBeLessThan(bounded.db / 3);
  }, 600_000);
});
