/**
 * A message's `in_session` and `next` edges are derived from its row (session id, seq) instead of stored (migrations
 * core-0006, graph-0002). Pinned here on real files and real workers: a folder written the old way (the edge rows
 * old builds stored, in core.db and graph.db, at the old schema versions) opens, loses exactly those rows, needs no
 * rebuild, and answers the same: the neighbours read gives every message the neighbours its stored `next` edges gave,
 * every message's session is its stored `in_session` edge's, and graph search finds the same hits before and after.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { readStores, tempDir } from '../../../../test/support/fixtures';
import { createGraphSearch } from './graph-search';
import { StorageManager, type WriteBatch } from './manager';

const DIM = 8;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const vectors = (n: number, seed: number) =>
  Float32Array.from({ length: n * DIM }, (_, i) => Math.sin(seed * 7 + i * 1.3) + (i % DIM === 0 ? 2 : 0));

const session = (id: string, title: string) => ({
  id,
  title,
  participants: ['Ann', 'Bob'],
  startedAt: 0,
  userId: null,
  agentId: null,
  createdAt: 1,
});

function messages(sessionId: string, ids: string[]): WriteBatch {
  const texts = ids.map((id) => `Ann talked about painting and Lisbon in ${id}`);
  return {
    messages: ids.map((id, i) => ({
      id,
      sessionId,
      role: 'user',
      speaker: 'Ann',
      text: texts[i] as string,
      timestamp: 1_700_000_000_000 + i,
      externalId: null,
      metadata: null,
    })),
    items: ids.map((id, i) => ({
      id: `chunk:${id}`,
      layer: 'm0' as const,
      kind: 'chunk',
      sessionId,
      text: `Ann: ${texts[i]}`,
      sources: [id],
    })),
    vectors: vectors(ids.length, ids.length),
  };
}

const QUERIES = ['What did Ann paint?', 'Ann and Lisbon', 'Tell me about ann'];

type Edge = { src: string; dst: string; kind: string };

/** What an old build stored for every message: `in_session` to its session, `next` from the message before it. */
function oldMessageEdges(core: Database.Database): Edge[] {
  const rows = core
    .prepare<[], { id: string; session_id: string; seq: number }>(
      'SELECT id, session_id, seq FROM messages ORDER BY session_id, seq',
    )
    .all();
  const edges: Edge[] = [];
  rows.forEach((m, i) => {
    edges.push({ src: m.id, dst: m.session_id, kind: 'in_session' });
    const prev = rows[i - 1];
    if (prev && prev.session_id === m.session_id && prev.seq === m.seq - 1) {
      edges.push({ src: prev.id, dst: m.id, kind: 'next' });
    }
  });
  return edges;
}

describe('derived message edges', () => {
  it('an old folder with stored in_session/next rows opens migrated, unrebuilt, and reads the same', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await StorageManager.open({ dataDir: t.dir, dim: DIM });
    await m.writeToAll({ ...messages('s1', ['m0', 'm1', 'm2', 'm3', 'm4']), sessions: [session('s1', 'Club')] });
    // A later write into the same session continues its order (m5 follows m4 across writes).
    await m.writeToAll({ ...messages('s1', ['m5', 'm6']), requireSessions: ['s1'] });
    await m.writeToAll({ ...messages('s2', ['n0', 'n1']), sessions: [session('s2', 'Trip')] });
    // An entity derived from a message (so graph search reaches a message at one hop), a fact mentioning it.
    await m.writeToAll({
      items: [
        { id: 'entity:ann', layer: 'm2', kind: 'entity', sessionId: null, text: 'Ann', sources: ['m1'] },
        {
          id: 'fact:1',
          layer: 'm2',
          kind: 'fact',
          sessionId: 's1',
          text: 'Ann paints in Lisbon',
          sources: ['chunk:m2'],
          links: [{ dst: 'entity:ann', kind: 'mentions' }],
        },
      ],
      vectors: vectors(2, 9),
    });
    await m.deleteMessages(['m3']); // a gap: m2 and m4 are no longer neighbours
    await m.close();

    // Make it an old folder: the rows old builds stored, at the schema versions they had.
    const core = new Database(join(t.dir, 'core.db'));
    const graph = new Database(join(t.dir, 'graph.db'));
    const old = oldMessageEdges(core);
    expect(old).toContainEqual({ src: 'm4', dst: 'm5', kind: 'next' });
    expect(old).not.toContainEqual({ src: 'm2', dst: 'm4', kind: 'next' });
    const addLink = core.prepare('INSERT INTO links(src, dst, kind) VALUES (@src, @dst, @kind)');
    const addEdge = graph.prepare('INSERT INTO edges(src, dst, kind) VALUES (@src, @dst, @kind)');
    for (const e of old) {
      addLink.run(e);
      addEdge.run(e);
    }
    core.pragma('user_version = 5');
    graph.exec('CREATE INDEX nodes_kind ON nodes(kind); CREATE INDEX nodes_session ON nodes(session_id);');
    graph.pragma('user_version = 1');
    // Graph search over the old files, stored message edges included.
    const oldSearch = createGraphSearch({ core, graph }).graphSearch;
    const search = (s: typeof oldSearch) =>
      QUERIES.map((text) => s({ text, layers: ['m0', 'm1', 'm2'], limit: 20 }) as { hits: unknown[] });
    const before = search(oldSearch);
    expect(before.every((r) => r.hits.length > 0)).toBe(true);
    // Reached through a message (entity → m1 → its chunk), where the stored edges also led to s1, m0 and m2.
    expect(((before[0]?.hits ?? []) as { id: string }[]).map((h) => h.id)).toContain('chunk:m1');
    const stored = readStores(t.dir);
    expect(stored.edges.filter((e) => e.kind === 'next')).toHaveLength(old.length - 8);
    core.close();
    graph.close();

    const again = await StorageManager.open({ dataDir: t.dir, dim: DIM });
    cleanups.push(async () => {
      if (again.status().open) await again.close();
    });
    // The counts agree at once (both files dropped the same rows): nothing is rebuilt.
    expect(again.status().stores.map((s) => [s.store, s.healthy, s.rebuilds])).toEqual([
      ['vector', true, 0],
      ['keyword', true, 0],
      ['graph', true, 0],
    ]);
    // Every message's neighbours and session, derived from its row, are what the stored edges said.
    const ids = old.filter((e) => e.kind === 'in_session').map((e) => e.src);
    const { result } = await again.search('messages', { ids, neighbours: true });
    const derived: Edge[] = result.messages.flatMap(({ message, before: b }) => [
      { src: message.id, dst: message.sessionId, kind: 'in_session' },
      ...(b ? [{ src: b, dst: message.id, kind: 'next' }] : []),
    ]);
    const key = (e: Edge) => `${e.src} ${e.kind} ${e.dst}`;
    expect(derived.map(key).sort()).toEqual(old.map(key).sort());
    for (const { message, after } of result.messages) {
      const out = old.find((e) => e.kind === 'next' && e.src === message.id);
      expect(after).toBe(out?.dst ?? null);
    }
    await again.close();

    const now = readStores(t.dir);
    expect(now.edges.filter((e) => e.kind === 'next' || e.kind === 'in_session')).toEqual([]);
    expect(now.edges).toEqual(stored.edges.filter((e) => e.kind !== 'next' && e.kind !== 'in_session'));
    expect(now.nodes).toEqual(stored.nodes);
    const c2 = new Database(join(t.dir, 'core.db'), { readonly: true });
    const g2 = new Database(join(t.dir, 'graph.db'), { readonly: true });
    cleanups.push(() => {
      c2.close();
      g2.close();
    });
    expect(c2.pragma('user_version', { simple: true })).toBe(6);
    expect(g2.pragma('user_version', { simple: true })).toBe(2);
    expect(c2.prepare("SELECT count(*) AS n FROM links WHERE kind IN ('next', 'in_session')").get()).toEqual({ n: 0 });
    // Graph search finds exactly what it found with the stored edges.
    expect(search(createGraphSearch({ core: c2, graph: g2 }).graphSearch)).toEqual(before);
  });
});
