import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { readStores, tempDir, waitFor } from '../../../../test/support/fixtures';
import { STORE_NAMES, type WriteMode } from '../../../shared/types';
import { createHashingEmbedder } from '../embed/hashing';
import { StorageManager, type WriteBatch } from './manager';

const DIM = 16;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openManager(mode: WriteMode = 'parallel', extra: { busyTimeoutMs?: number; retryBaseMs?: number } = {}) {
  const t = tempDir();
  const m = await StorageManager.open({ dataDir: t.dir, dim: DIM, mode, ...extra });
  cleanups.push(t.cleanup);
  cleanups.push(async () => {
    if (m.status().open) await m.close();
  });
  return { m, dir: t.dir };
}

const embedder = createHashingEmbedder(DIM);
const session = {
  id: 's1',
  title: 'Session one',
  participants: ['Ann', 'Bob'],
  startedAt: 0,
  userId: null,
  agentId: null,
  createdAt: 1,
};

async function batch(n: number, from = 0, withSession = false): Promise<WriteBatch> {
  const texts = Array.from({ length: n }, (_, i) => `chunk ${from + i}: Ann talked about painting number ${from + i}`);
  return {
    sessions: withSession ? [session] : [],
    messages: texts.map((text, i) => ({
      id: `m${from + i}`,
      sessionId: 's1',
      role: 'user',
      speaker: 'Ann',
      text,
      timestamp: 1_700_000_000_000 + from + i,
      externalId: null,
      metadata: null,
    })),
    items: texts.map((text, i) => ({
      id: `c${from + i}`,
      layer: 'm0' as const,
      kind: 'chunk',
      sessionId: 's1',
      text,
      sources: [`m${from + i}`],
    })),
    vectors: await embedder.embed(texts),
    requireSessions: ['s1'],
  };
}

describe('writeToAll', () => {
  it('lands one batch in the journal and all three stores with identical ids', async () => {
    const { m, dir } = await openManager();
    const res = await m.writeToAll(await batch(25, 0, true));
    expect(Object.values(res.outcomes).map((o) => o.status)).toEqual(['ok', 'ok', 'ok']);
    const ids = Array.from({ length: 25 }, (_, i) => `c${i}`).sort();
    expect(await m.storeIds('core')).toEqual(ids);
    for (const s of STORE_NAMES) expect(await m.storeIds(s)).toEqual(ids);
    const stored = readStores(dir);
    expect(stored.keyword.map((k) => k.text)).toEqual(stored.items.map((i) => i.text));
    // The graph holds the session, its messages, and each chunk's provenance; a message's session and order are
    // its row's (session id, seq), answered from the journal, not stored as edges.
    expect(stored.nodes.filter((n) => n.kind === 'message')).toHaveLength(25);
    expect(stored.edges).toContainEqual({ src: 'c3', dst: 'm3', kind: 'derived_from' });
    expect(stored.edges.filter((e) => e.kind === 'next' || e.kind === 'in_session')).toEqual([]);
    const { result } = await m.search('messages', { ids: ['m3'], neighbours: true });
    expect(result.messages[0]).toMatchObject({ message: { id: 'm3', sessionId: 's1' }, before: 'm2', after: 'm4' });
    expect(m.status().stores.every((s) => s.appliedSeq === res.seq && s.healthy)).toBe(true);
  });

  it('sequential and parallel modes produce identical store contents', async () => {
    const seq = await openManager('sequential');
    const par = await openManager('parallel');
    for (const { m } of [seq, par]) {
      await m.writeToAll(await batch(10, 0, true));
      await Promise.all([m.writeToAll(await batch(10, 10)), m.writeToAll(await batch(10, 20))]);
      await m.deleteMessages(['m5']);
    }
    const a = readStores(seq.dir);
    const b = readStores(par.dir);
    expect(a.vector).toHaveLength(29);
    expect(a).toEqual(b);
    // Sequential mode runs one store after another, in the order of STORE_NAMES: each span is pushed when its
    // store's call has answered, so the trace lists them in the order they ran (no clocks compared).
    const trace = (await seq.m.listTraces(1))[0];
    expect(trace?.mode).toBe('sequential');
    expect((trace?.spans ?? []).filter((s) => s.stage === 'store').map((s) => s.store)).toEqual([...STORE_NAMES]);
  });

  it('an item written again is replaced, not duplicated, in every store', async () => {
    const { m, dir } = await openManager();
    await m.writeToAll(await batch(3, 0, true));
    const again = await batch(1, 1);
    const edited = {
      ...again,
      messages: [],
      items: [{ ...again.items[0], id: 'c1', text: 'an edited chunk about guitars' }] as WriteBatch['items'],
    };
    edited.vectors = await embedder.embed(['an edited chunk about guitars']);
    await m.writeToAll(edited);
    const stored = readStores(dir);
    expect(stored.vector.map((v) => v.id)).toEqual(['c0', 'c1', 'c2']);
    expect(stored.keyword.find((k) => k.id === 'c1')?.text).toBe('an edited chunk about guitars');
    expect(stored.nodes.find((n) => n.id === 'c1')?.label).toBe('an edited chunk about guitars');
  });

  it('writeToStore writes one store and keeps the others in step', async () => {
    const { m } = await openManager();
    await m.writeToAll(await batch(2, 0, true));
    const b = await batch(2, 2);
    const res = await m.writeToStore('keyword', b);
    expect(res.outcomes.keyword).toMatchObject({ status: 'ok', rows: 2 });
    expect(await m.storeIds('keyword')).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(await m.storeIds('vector')).toEqual(['c0', 'c1']);
    // The next writeToAll still reaches every store: their sequence moved past the keyword-only op.
    await m.writeToAll(await batch(1, 4));
    expect(await m.storeIds('vector')).toEqual(['c0', 'c1', 'c4']);
    await waitFor(
      () => m.status().stores.every((s) => s.healthy && s.appliedSeq === m.status().journalSeq),
      'stores in step',
    );
  });
});

describe('deletes', () => {
  it('deleting a message removes it and everything indexed from it from every store', async () => {
    const { m, dir } = await openManager();
    await m.writeToAll(await batch(4, 0, true));
    const derived = await batch(1, 100);
    await m.writeToAll({
      ...derived,
      messages: [],
      items: [
        {
          id: 'ep1',
          layer: 'm1',
          kind: 'episode',
          sessionId: 's1',
          text: 'episode over m1 and m2',
          sources: ['c1', 'c2'],
        },
      ],
    });
    const res = await m.deleteMessages(['m1']);
    expect(res.items).toBe(2); // c1 and the episode derived from it
    expect(res.trace).toMatchObject({ kind: 'deleteMessages', seq: res.seq });
    expect(res.trace.spans.map((s) => s.store).sort()).toEqual(['core', 'graph', 'keyword', 'vector']);
    expect((await m.listMessages('s1')).map((x) => [x.id, x.seq])).toEqual([
      ['m0', 1],
      ['m2', 3],
      ['m3', 4],
    ]);
    const stored = readStores(dir);
    expect(stored.items.map((i) => i.id)).toEqual(['c0', 'c2', 'c3']);
    expect(stored.vector.map((v) => v.id)).toEqual(['c0', 'c2', 'c3']);
    expect(stored.keyword.map((v) => v.id)).toEqual(['c0', 'c2', 'c3']);
    expect(stored.nodes.map((n) => n.id)).not.toContain('m1');
    expect(stored.nodes.map((n) => n.id)).not.toContain('ep1');
    expect(stored.edges.some((e) => [e.src, e.dst].some((x) => ['m1', 'c1', 'ep1'].includes(x)))).toBe(false);
  });

  it('deleting a session removes its messages, items and node from every store', async () => {
    const { m, dir } = await openManager();
    await m.writeToAll(await batch(5, 0, true));
    await m.deleteSession('s1');
    const stored = readStores(dir);
    expect(stored.items).toEqual([]);
    expect(stored.vector).toEqual([]);
    expect(stored.keyword).toEqual([]);
    expect(stored.nodes).toEqual([]);
    expect(stored.edges).toEqual([]);
    expect(await m.listSessions()).toEqual([]);
  });
});

describe('fault isolation', () => {
  it('a store locked by another connection fails alone, and catches up once the lock is released', async () => {
    const { m, dir } = await openManager('parallel', { busyTimeoutMs: 100, retryBaseMs: 50 });
    await m.writeToAll(await batch(2, 0, true));
    const holder = new Database(join(dir, 'vector.db'));
    holder.prepare('BEGIN EXCLUSIVE').run();
    const res = await m.writeToAll(await batch(3, 2));
    expect(res.outcomes.keyword.status).toBe('ok');
    expect(res.outcomes.graph.status).toBe('ok');
    expect(res.outcomes.vector).toMatchObject({ status: 'failed', error: { code: 'STORE_LOCKED' } });
    expect(res.outcomes.vector.status === 'failed' && res.outcomes.vector.error.message).toContain('vector.db');
    expect(res.trace.spans.find((s) => s.store === 'vector')?.status).toBe('failed');
    expect(await m.storeIds('keyword')).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    const vStatus = m.status().stores.find((s) => s.store === 'vector');
    expect(vStatus).toMatchObject({ healthy: false, failures: 1 });
    expect(vStatus?.lastError?.code).toBe('STORE_LOCKED');

    // While it is down, later writes are journaled and deferred for it; the others keep committing.
    const later = await m.writeToAll(await batch(1, 5));
    expect(later.outcomes.vector.status).not.toBe('ok');
    expect(later.outcomes.keyword.status).toBe('ok');

    holder.prepare('ROLLBACK').run();
    holder.close();
    await waitFor(() => m.status().stores.every((s) => s.healthy && s.pendingOps === 0), 'vector to catch up');
    expect(await m.storeIds('vector')).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
  });

  it('a table dropped underneath a store fails that store only; once it is back the store is rebuilt exactly', async () => {
    const { m, dir } = await openManager('parallel', { retryBaseMs: 50 });
    await m.writeToAll(await batch(2, 0, true));
    const outside = new Database(join(dir, 'keyword.db'));
    outside.exec('DROP TABLE fts_items');
    const res = await m.writeToAll(await batch(2, 2));
    expect(res.outcomes.keyword).toMatchObject({ status: 'failed', error: { code: 'STORE_WRITE_FAILED' } });
    expect(res.outcomes.vector.status).toBe('ok');
    expect(res.outcomes.graph.status).toBe('ok');
    outside.exec(
      "CREATE VIRTUAL TABLE fts_items USING fts5(text, id UNINDEXED, layer UNINDEXED, session_id UNINDEXED, tokenize = 'porter unicode61')",
    );
    outside.close();
    await waitFor(() => m.status().stores.every((s) => s.healthy && s.pendingOps === 0), 'keyword to catch up');
    // Catch-up restored the op that failed; the rows lost with the table come back from a rebuild.
    expect(await m.storeIds('keyword')).toEqual(['c2', 'c3']);
    await m.rebuildStore('keyword');
    expect(await m.storeIds('keyword')).toEqual(['c0', 'c1', 'c2', 'c3']);
    const stored = readStores(dir);
    expect(stored.keyword.map((k) => k.text)).toEqual(stored.items.map((i) => i.text));
    expect(m.status().stores.find((s) => s.store === 'keyword')?.rebuilds).toBe(1);
  });
});

describe('recovery on open', () => {
  it('a store file deleted while closed is rebuilt from the journal on open', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    let m = await StorageManager.open({ dataDir: t.dir, dim: DIM });
    await m.writeToAll(await batch(6, 0, true));
    await m.deleteMessages(['m2']);
    const before = readStores(t.dir);
    // Let idle maintenance prune the outbox, so catch-up alone could not restore the store.
    await new Promise((r) => setTimeout(r, 700));
    await m.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(t.dir, `vector.db${suffix}`), { force: true });
    m = await StorageManager.open({ dataDir: t.dir, dim: DIM });
    cleanups.push(async () => {
      if (m.status().open) await m.close();
    });
    expect(m.status().stores.find((s) => s.store === 'vector')).toMatchObject({ rebuilds: 1, healthy: true });
    expect(readStores(t.dir)).toEqual(before);
  });

  it('a store that lost rows but kept its sequence is caught by the count check on open and rebuilt', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    let m = await StorageManager.open({ dataDir: t.dir, dim: DIM });
    await m.writeToAll(await batch(4, 0, true));
    const before = readStores(t.dir);
    await m.close();
    const g = new Database(join(t.dir, 'graph.db'));
    g.exec("DELETE FROM nodes WHERE kind = 'message'");
    g.close();
    m = await StorageManager.open({ dataDir: t.dir, dim: DIM });
    cleanups.push(async () => {
      if (m.status().open) await m.close();
    });
    const graph = m.status().stores.find((s) => s.store === 'graph');
    expect(graph?.rebuilds).toBe(1);
    expect(graph?.lastError?.code).toBe('STORE_CORRUPT');
    expect(readStores(t.dir)).toEqual(before);
  });
});

describe('traces', () => {
  it('every write returns a trace with journal and per-store spans, kept bounded in core.db', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await StorageManager.open({ dataDir: t.dir, dim: DIM, maxTraces: 5 });
    cleanups.push(async () => {
      if (m.status().open) await m.close();
    });
    const first = await m.writeToAll(await batch(3, 0, true));
    const spans = first.trace.spans;
    expect(spans.map((s) => s.store ?? s.stage).sort()).toEqual(['core', 'graph', 'keyword', 'validate', 'vector']);
    for (const s of spans) {
      expect(s.durationMs).toBeGreaterThanOrEqual(0);
      expect(s.start).toBeGreaterThanOrEqual(0);
      if (s.stage !== 'validate') expect(s.threadId).toBeGreaterThan(0);
    }
    expect(new Set(spans.filter((s) => s.stage === 'store').map((s) => s.threadId)).size).toBe(3);
    expect(first.trace.totalMs).toBeGreaterThanOrEqual(Math.max(...spans.map((s) => s.start + s.durationMs)) - 1);
    for (let i = 1; i < 9; i++) await m.writeToAll(await batch(1, 10 + i));
    const traces = await m.listTraces(100);
    expect(traces).toHaveLength(5);
    expect(traces[0]?.seq).toBe(m.status().journalSeq);
    expect(traces.map((t) => t.seq)).toEqual([...traces.map((t) => t.seq)].sort((a, b) => b - a));
  });
});

describe('close', () => {
  it('leaves no write-ahead log behind: every file is its true size on disk', async () => {
    const { m, dir } = await openManager();
    await m.writeToAll(await batch(200, 0, true));
    await m.close();
    for (const file of ['core.db', 'vector.db', 'keyword.db', 'graph.db']) {
      const wal = join(dir, `${file}-wal`);
      expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
    }
  });
});
