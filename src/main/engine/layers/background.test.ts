/**
 * Layer building stays in the background: M1's NLP and M2's extraction run as small tasks on the embedding workers,
 * so a query asked while a 2,000-message session is being built is answered before that session's episodes are
 * written; and close() stops building without draining the queue, which resumes on the next open.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { loadLocomo } from '../../../../test/support/locomo';
import type { MessageInput } from '../../../shared/schema';
import { createHashingEmbedder } from '../embed/hashing';
import { Engine } from '../engine';
import { needsExtraction } from './m2';

const BUDGET_MS = 900_000;
const temps: { cleanup(): void }[] = [];
afterAll(() => {
  for (const t of temps) t.cleanup();
});

/** The first `n` LoCoMo turns, across conversations, as one session an hour apart per 50 turns. */
function turns(n: number): MessageInput[] {
  const all = loadLocomo().flatMap((c) => c.sessions.flatMap((s) => s.messages));
  if (all.length < n) throw new Error(`LoCoMo has ${all.length} turns, fewer than ${n}`);
  const start = Date.UTC(2023, 4, 8, 9);
  return all.slice(0, n).map((m, i) => ({
    id: `turn-${i}`,
    speaker: m.speaker,
    text: m.text,
    role: 'user' as const,
    timestamp: start + Math.floor(i / 50) * 3_600_000 + (i % 50) * 30_000,
  }));
}

/** What is left to build, read straight from core.db: chunks in no episode, episodes without an extraction. */
function leftToBuild(dataDir: string): { chunks: number; unassigned: number; episodes: number; unextracted: number } {
  const db = new Database(join(dataDir, 'core.db'), { readonly: true });
  try {
    const chunks = db.prepare<[], { id: string }>("SELECT id FROM items WHERE kind = 'chunk'").all();
    const inEpisode = new Set(
      db
        .prepare<[], { dst: string }>(
          "SELECT l.dst FROM links l JOIN items e ON e.id = l.src WHERE e.kind = 'episode' AND l.kind = 'derived_from'",
        )
        .all()
        .map((r) => r.dst),
    );
    const episodes = db
      .prepare<[], { id: string; text: string; data: string | null }>(
        "SELECT id, text, data FROM items WHERE kind = 'episode'",
      )
      .all();
    const sourcesOf = db.prepare<[string], { dst: string }>(
      "SELECT dst FROM links WHERE src = ? AND kind = 'derived_from' ORDER BY dst",
    );
    const unextracted = episodes.filter((e) =>
      needsExtraction({
        id: e.id,
        layer: 'm1',
        kind: 'episode',
        sessionId: null,
        text: e.text,
        data: e.data === null ? null : (JSON.parse(e.data) as Record<string, unknown>),
        validFrom: null,
        validTo: null,
        sources: sourcesOf.all(e.id).map((r) => r.dst),
        links: [],
      }),
    ).length;
    return {
      chunks: chunks.length,
      unassigned: chunks.filter((c) => !inEpisode.has(c.id)).length,
      episodes: episodes.length,
      unextracted,
    };
  } finally {
    db.close();
  }
}

describe('layer building in the background', () => {
  it(
    'answers a query asked while a 2,000-message session is being built before its episodes are written',
    async () => {
      const t = tempDir('strata-background-query-');
      temps.push(t);
      const engine = await Engine.open({ dataDir: t.dir, embedder: 'hashing', embedWorkers: 2 });
      try {
        const events: string[] = [];
        engine.layers.onBuilt = (sessionId, layer) => {
          if (sessionId === 'long') events.push(layer);
        };
        await engine.createSession({ id: 'long', participants: ['Caroline', 'Melanie'] });
        const messages = turns(2_000);
        await engine.addMessages('long', messages);
        // The build has begun (addMessages queued it); the query is asked now and must not wait for it.
        const answered = engine.query({ text: 'support group', k: 5 }).then((r) => {
          events.push('query');
          return r;
        });
        const built = engine.flush().then(() => events.push('flushed'));
        const result = await answered;
        await built;
        expect(result.hits.length).toBeGreaterThan(0);
        expect(events).toEqual(['query', 'm1', 'm2', 'flushed']);
        // And the build itself is whole: every chunk in an episode, every episode extracted.
        expect(leftToBuild(t.dir)).toMatchObject({ unassigned: 0, unextracted: 0 });
        expect((await engine.list('m2', { kind: 'fact' })).total).toBeGreaterThan(50);
      } finally {
        await engine.close();
      }
    },
    BUDGET_MS,
  );

  it(
    'stops building at close() without draining the queue, and resumes on the next open',
    async () => {
      const t = tempDir('strata-background-close-');
      temps.push(t);
      const engine = await Engine.open({ dataDir: t.dir, embedder: 'hashing', embedWorkers: 2 });
      await engine.createSession({ id: 'long', participants: ['Caroline', 'Melanie'] });
      await engine.addMessages('long', turns(400));
      // Closed while the session's layers are still being built: close() does not wait for them.
      await engine.close();
      const left = leftToBuild(t.dir);
      expect(left.chunks).toBeGreaterThan(0);
      expect(left.unassigned).toBeGreaterThan(0);

      const again = await Engine.open({ dataDir: t.dir, embedder: 'hashing', embedWorkers: 2 });
      try {
        await again.flush();
        expect(leftToBuild(t.dir)).toMatchObject({ unassigned: 0, unextracted: 0 });
        expect((await again.list('m2', { kind: 'fact' })).total).toBeGreaterThan(10);
        expect(again.layers.status().lastError).toBeNull();
      } finally {
        await again.close();
      }
    },
    BUDGET_MS,
  );

  it(
    'builds the same layers in the engine thread when given an Embedder object (no workers to send M1 to)',
    async () => {
      const build = async (embedder: 'hashing' | ReturnType<typeof createHashingEmbedder>) => {
        const t = tempDir('strata-background-inthread-');
        temps.push(t);
        const engine = await Engine.open({ dataDir: t.dir, embedder, embedWorkers: 1 });
        try {
          await engine.createSession({ id: 's', participants: ['Caroline', 'Melanie'] });
          await engine.addMessages('s', turns(120));
          await engine.flush();
          const all = async (layer: 'm1' | 'm2') =>
            (await engine.list(layer, {}, { limit: 1000 })).items.map((i) => `${i.id} ${i.text}`).sort();
          return { m1: await all('m1'), m2: await all('m2'), left: leftToBuild(t.dir) };
        } finally {
          await engine.close();
        }
      };
      const inThread = await build(createHashingEmbedder(512));
      const onWorkers = await build('hashing');
      expect(inThread.left).toMatchObject({ unassigned: 0, unextracted: 0 });
      expect(inThread.m1.length).toBeGreaterThan(1);
      expect(inThread.m2.length).toBeGreaterThan(10);
      expect(inThread).toEqual(onWorkers);
    },
    BUDGET_MS,
  );
});
