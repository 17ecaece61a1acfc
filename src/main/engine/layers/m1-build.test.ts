/**
 * M1 over a long session in bounded steps (issue 17: the background build read a whole 100,000-chunk session with its
 * vectors onto the main thread, where browser mode's requests waited behind it). A session of 2,300 chunks, written
 * with the layers off, is cut by buildEpisodes: every chunk lands in exactly one episode, the
 * episodes follow the session in order, and no read the build makes returns more than two pages of chunks
 * (a page plus the span carried from the one before), nor the session's messages whole. A few more messages later
 * re-cut only the open tail: the closed episodes stay as they were.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { Engine } from '../engine';
import type { DescribeInput, SegmentInput } from './m1';
import { buildEpisodes, TAIL_PAGE } from './m1-build';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const TOPICS = ['pottery class', 'the new job', 'moving house', 'a hiking trip', 'the support group', 'a concert'];
const text = (i: number) =>
  `Message ${i}: I keep thinking about ${TOPICS[Math.floor(i / 40) % TOPICS.length]} and what it means for the week ahead.`;

function episodes(dir: string): { id: string; chunks: string[] }[] {
  const db = new Database(join(dir, 'core.db'), { readonly: true });
  try {
    const rows = db
      .prepare<[], { id: string; chunk: string }>(
        `SELECT e.id AS id, l.dst AS chunk FROM items e JOIN links l ON l.src = e.id AND l.kind = 'derived_from'
         WHERE e.kind = 'episode' ORDER BY e.id, l.dst`,
      )
      .all();
    const by = new Map<string, string[]>();
    for (const r of rows) by.set(r.id, [...(by.get(r.id) ?? []), r.chunk]);
    return [...by].map(([id, chunks]) => ({ id, chunks }));
  } finally {
    db.close();
  }
}

function chunkOrder(dir: string): string[] {
  const db = new Database(join(dir, 'core.db'), { readonly: true });
  try {
    return db
      .prepare<[], { id: string }>(
        `SELECT c.id AS id FROM items c JOIN links l ON l.src = c.id AND l.kind = 'derived_from'
         JOIN messages m ON m.id = l.dst WHERE c.kind = 'chunk' GROUP BY c.id ORDER BY min(m.seq)`,
      )
      .all()
      .map((r) => r.id);
  } finally {
    db.close();
  }
}

describe('M1 over a long session', () => {
  it('is built in bounded reads, every chunk in one episode in session order, and later only the tail is re-cut', async () => {
    const t = tempDir('strata-m1-tail-');
    cleanups.push(t.cleanup);
    const N = 2300;
    const seed = await Engine.open({ dataDir: t.dir, embedder: 'hashing', layers: false });
    await seed.createSession({ id: 's', title: 'long' });
    for (let i = 0; i < N; i += 500) {
      await seed.addMessages(
        's',
        Array.from({ length: Math.min(500, N - i) }, (_, j) => ({
          id: `m${i + j}`,
          role: 'user' as const,
          speaker: i + j === 0 ? 'Ann' : (i + j) % 2 ? 'Ben' : 'Ann',
          text: text(i + j),
          timestamp: 1_700_000_000_000 + (i + j) * 60_000,
        })),
      );
    }
    await seed.close();

    // M1 alone, on the engine's own storage and embedder, with the real segmentation and description (in this
    // thread, as the queue runs them for an engine without embedding workers); every read it makes is recorded.
    const engine = await Engine.open({ dataDir: t.dir, embedder: 'hashing', layers: false });
    cleanups.push(() => (engine.status().open ? engine.close() : undefined));
    const reads: { method: string; rows: number }[] = [];
    const storage = new Proxy(engine.storage, {
      get(target, prop, receiver) {
        if (prop !== 'read') return Reflect.get(target, prop, receiver);
        return async (method: string, params: unknown) => {
          const r = (await target.read(method as never, params as never)) as unknown;
          const items = (r as { items?: unknown[] } | null)?.items;
          reads.push({ method, rows: Array.isArray(r) ? r.length : Array.isArray(items) ? items.length : 0 });
          return r;
        };
      },
    });
    const m1 = await import('./m1');
    const deps = {
      storage,
      embedder: engine.embedder,
      episodes: {
        segment: async (x: SegmentInput) => m1.segment(x.chunks, x.vectors, x.dim),
        describe: async (x: DescribeInput) => m1.describeSpans(x),
      },
      checkpoint: () => undefined,
    };
    await buildEpisodes(deps, 's');

    const order = chunkOrder(t.dir);
    expect(order.length).toBe(N);
    const eps = episodes(t.dir);
    const seen = new Map<string, string>();
    for (const e of eps)
      for (const c of e.chunks) {
        expect(seen.has(c), `${c} in ${seen.get(c)} and ${e.id}`).toBe(false);
        seen.set(c, e.id);
      }
    expect(seen.size).toBe(N);
    // In session order: each episode's chunks are one contiguous stretch, and it is named after its first chunk.
    const at = new Map(order.map((c, i) => [c, i]));
    for (const e of eps) {
      const idx = e.chunks.map((c) => at.get(c) as number).sort((a, b) => a - b);
      expect((idx.at(-1) as number) - (idx[0] as number)).toBe(idx.length - 1);
      expect(e.id).toBe(`episode:${order[idx[0] as number]}`);
    }
    expect(eps.length).toBeGreaterThan(N / TAIL_PAGE);

    // Bounded: nothing came back with more than two pages of rows, and the session was never read whole.
    expect(reads.length).toBeGreaterThan(0);
    const biggest = Math.max(...reads.map((r) => r.rows));
    expect(biggest).toBeLessThan(N);
    expect(biggest).toBeLessThanOrEqual(2 * TAIL_PAGE);
    expect(reads.some((r) => r.method === 'sessionItems' || r.method === 'listMessages')).toBe(false);
    expect(reads.filter((r) => r.method === 'sessionTail').length).toBeGreaterThan(0);

    // A few more messages: the closed episodes are untouched, only the last one is cut again with them.
    const before = new Map(eps.map((e) => [e.id, e.chunks.join()]));
    const lastChunk = order.at(-1) as string;
    const openId = seen.get(lastChunk) as string;
    await engine.addMessages(
      's',
      Array.from({ length: 30 }, (_, j) => ({
        id: `m${N + j}`,
        role: 'user' as const,
        speaker: j % 2 ? 'Ben' : 'Ann',
        text: text(N + j),
        timestamp: 1_700_000_000_000 + (N + j) * 60_000,
      })),
    );
    await buildEpisodes(deps, 's');
    const after = new Map(episodes(t.dir).map((e) => [e.id, e.chunks.join()]));
    for (const [id, chunks] of before) if (id !== openId) expect(after.get(id)).toBe(chunks);
    expect(chunkOrder(t.dir).length).toBe(N + 30);
    expect([...after.values()].flatMap((c) => c.split(',')).length).toBe(N + 30);
  }, 240_000);
});
