/**
 * The re-cut race (issue 12, noticed): a layer write already in flight when its session is deleted must not write
 * items back for the deleted messages. The window is held open for certain: the M2 extractor's model call (an
 * injected fetch, standing in for a local LLM server that is slow to answer) deletes the session and only then
 * answers (with a failure, so the rules extract, as they do when a model is down). The M2 write that follows comes
 * after the delete.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { type ConvergeSession, convergeSessions, writeSession } from '../../../../test/support/layers-child';
import { Engine } from '../engine';

/** The journal's items, read straight from core.db. */
function journalItems(dir: string): { id: string; layer: string; session_id: string | null }[] {
  const db = new Database(join(dir, 'core.db'), { readonly: true });
  try {
    return db
      .prepare<[], { id: string; layer: string; session_id: string | null }>('SELECT id, layer, session_id FROM items')
      .all();
  } finally {
    db.close();
  }
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a session deleted while its layers build', () => {
  it('gets no facts, entities or episodes written back after the delete', async () => {
    const t = tempDir('strata-recut-race-');
    cleanups.push(t.cleanup);
    const [victim, kept] = convergeSessions() as [ConvergeSession, ConvergeSession];
    let engine: Engine | null = null;
    let deleted: Promise<unknown> | null = null;
    let calls = 0;
    const slowModel: typeof fetch = async () => {
      calls++;
      deleted ??= (engine as Engine).deleteSession(victim.id);
      await deleted;
      return new Response('model is loading', { status: 503 });
    };
    engine = await Engine.open({
      dataDir: t.dir,
      embedder: 'hashing',
      llm: { url: 'http://127.0.0.1:9/v1', model: 'slow', fetch: slowModel },
    });
    cleanups.push(() => (engine?.status().open ? engine.close() : undefined));
    await writeSession(engine, victim);
    await engine.flush();
    expect(calls).toBeGreaterThan(0);
    expect(engine.layers.status().lastError).toBeNull();

    const items = journalItems(t.dir);
    expect(items.filter((i) => i.session_id === victim.id)).toEqual([]);
    // Nothing of the victim anywhere: its people were mentioned by nothing else.
    const speaker = `entity:${String(victim.participants[0]).toLowerCase()}`;
    expect(items.map((i) => i.id)).not.toContain(speaker);
    expect(await engine.storage.read('orphanEntities', {})).toEqual([]);

    // Another session still builds all three layers as usual afterwards.
    await writeSession(engine, kept);
    await engine.flush();
    const after = journalItems(t.dir).filter((i) => i.session_id === kept.id);
    expect(new Set(after.map((i) => i.layer))).toEqual(new Set(['m0', 'm1', 'm2']));
  });
});
