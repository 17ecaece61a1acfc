import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/fixtures';
import type { ForgetPlan } from '../../shared/edit-schema';
import { STORE_NAMES } from '../../shared/types';
import { Engine } from './engine';

// A real engine (hashing embedder, all three layers, real workers and files) with two small conversations.
let engine: Engine;
let dir: { dir: string; cleanup(): void };
const ids = { s1: '', s2: '', s3: '', paris: '', rome: '', biscuit: '', correction: '' };

beforeAll(async () => {
  dir = tempDir('strata-edits-');
  engine = await Engine.open({ dataDir: dir.dir, embedder: 'hashing' });
  const s1 = await engine.createSession({
    title: 'Catching up',
    participants: ['Alice', 'Bob'],
    startedAt: '2024-03-01',
  });
  const s2 = await engine.createSession({ title: 'Pets', participants: ['Alice', 'Bob'], startedAt: '2024-04-01' });
  const s3 = await engine.createSession({ title: 'Travel', participants: ['Alice', 'Bob'], startedAt: '2024-05-01' });
  Object.assign(ids, { s1: s1.id, s2: s2.id, s3: s3.id });
  const w1 = await engine.addMessages(s1.id, [
    { speaker: 'Alice', text: 'I live in Paris now, I moved there last year.', timestamp: '2024-03-01T10:00:00Z' },
    {
      speaker: 'Bob',
      role: 'assistant',
      text: 'That sounds lovely. Do you still work at Acme?',
      timestamp: '2024-03-01T10:01:00Z',
    },
    {
      speaker: 'Alice',
      text: 'Yes, I work at Acme as a designer. My sister Carol lives in Rome.',
      timestamp: '2024-03-01T10:02:00Z',
    },
  ]);
  ids.paris = w1.messageIds[0] as string;
  ids.rome = w1.messageIds[2] as string;
  const w2 = await engine.addMessages(s2.id, [
    { speaker: 'Bob', text: 'I adopted a dog named Biscuit from the shelter.', timestamp: '2024-04-01T09:00:00Z' },
    { speaker: 'Alice', text: 'Lovely! My cat Miso would be jealous of the walks.', timestamp: '2024-04-01T09:02:00Z' },
  ]);
  ids.biscuit = w2.messageIds[0] as string;
  await engine.addMessages(s3.id, [
    {
      speaker: 'Alice',
      text: 'We are flying to Lisbon in June for the conference.',
      timestamp: '2024-05-01T08:00:00Z',
    },
    {
      speaker: 'Bob',
      text: 'Take the tram to Belem, the pastries there are famous.',
      timestamp: '2024-05-01T08:03:00Z',
    },
  ]);
  await engine.flush();
}, 120_000);

afterAll(async () => {
  await engine?.close();
  dir?.cleanup();
});

async function allItems() {
  const out = [];
  for (const layer of ['m0', 'm1', 'm2'] as const) out.push(...(await engine.list(layer, {}, { limit: 1000 })).items);
  return out;
}

/**
 * After a forget and the rebuild that follows it: no forgotten message exists, and nothing left anywhere derives from
 * one. An item the layers rebuilt from the messages that remain may come back under its old id (ids are built from
 * content and position), but then only with provenance in those messages.
 */
async function expectGone(plan: ForgetPlan): Promise<void> {
  const forgotten = new Set(plan.messages.map((m) => m.id));
  for (const m of plan.messages) await expect(engine.get(m.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  const listed = await allItems();
  for (const it of listed) {
    const p = await engine.get(it.id);
    expect(
      p.messages.filter((m) => forgotten.has(m.id)),
      `${it.id} derives from a forgotten message`,
    ).toEqual([]);
  }
  const rebuilt = new Set(listed.map((i) => i.id));
  for (const it of plan.items) {
    if (rebuilt.has(it.id)) continue;
    await expect(engine.get(it.id), it.id).rejects.toMatchObject({ code: 'NOT_FOUND' });
    for (const s of [...STORE_NAMES, 'core' as const]) {
      expect(await engine.storage.storeIds(s), `${it.id} in ${s}`).not.toContain(it.id);
    }
  }
  // Every store still holds exactly the journal's items.
  const journal = await engine.storage.storeIds('core');
  for (const s of STORE_NAMES) expect(await engine.storage.storeIds(s)).toEqual(journal);
}

const withoutRun = (p: ForgetPlan) => {
  const { dryRun: _d, removed: _r, auditId: _a, ...rest } = p;
  return rest;
};

describe('correct', () => {
  it('supersedes the fact as an update does, and history shows both versions with the decision behind each', async () => {
    const facts = (await engine.list('m2', { kind: 'fact' }, { limit: 1000 })).items;
    const paris = facts.find((f) => /lives in Paris/.test(f.text));
    expect(paris, JSON.stringify(facts.map((f) => f.text))).toBeDefined();
    if (!paris) return;
    const r = await engine.correct({ id: paris.id, text: 'Alice lives in Lyon.', reason: 'she moved', actor: 'test' });
    expect(r.supersededId).toBe(paris.id);
    expect(r.factId).toMatch(/^fact:/);
    ids.correction = r.factId;

    const fresh = (await engine.get(r.factId)).item;
    const old = (await engine.get(paris.id)).item;
    expect(fresh).toMatchObject({ text: 'Alice lives in Lyon.', validFrom: paris.validFrom, validTo: null });
    // Derived from the same messages, not from the episode: a re-cut episode must not take the correction with it.
    expect(fresh.sources).toEqual(paris.sources.filter((src) => !src.startsWith('episode:')));
    expect(fresh.data).toMatchObject({ subjectKey: 'alice', predicate: 'live in', via: 'correction' });
    // The old fact never held: its validity ends where the correction's begins.
    expect(old.validTo).toBe(paris.validFrom);
    expect(old.links).toContainEqual({ dst: r.factId, kind: 'superseded_by' });
    expect(old.data).toMatchObject({ supersededBy: r.factId });
    // Provenance of the correction reaches the message it corrects.
    expect((await engine.get(r.factId)).messages.map((m) => m.id)).toContain(ids.paris);

    const h = await engine.history({ factId: paris.id });
    const chain = h.versions.filter((v) => v.fact.id === paris.id || v.fact.id === r.factId);
    expect(chain.map((v) => v.fact.id)).toEqual([paris.id, r.factId]);
    expect(chain[0]).toMatchObject({ current: false, supersededBy: r.factId, decision: { action: 'add' } });
    expect(chain[1]).toMatchObject({ current: true, supersededBy: null, decision: { action: 'correct' } });
    expect(chain[1]?.decision?.reason).toMatch(/corrected by test: she moved/);
    expect(h.versions.every((v) => v.fact.data?.subjectKey === 'alice' && v.fact.data?.predicate === 'live in')).toBe(
      true,
    );
    expect((await engine.history({ subject: 'alice', predicate: 'lives in' })).versions.map((v) => v.fact.id)).toEqual(
      h.versions.map((v) => v.fact.id),
    );

    const hits = (await engine.query({ text: 'Lyon', k: 5 })).hits;
    expect(hits.map((x) => x.id)).toContain(r.factId);
    const [entry] = await engine.auditLog({ limit: 1 });
    expect(entry).toMatchObject({
      action: 'correct',
      actor: 'test',
      reason: 'she moved',
      target: { id: paris.id },
      result: { factId: r.factId },
    });
    // Every store holds the correction and the superseded fact.
    for (const s of STORE_NAMES)
      expect(await engine.storage.storeIds(s)).toEqual(expect.arrayContaining([r.factId, paris.id]));
  });

  it('refuses what is not a fact, what does not exist, a repeat and an empty text, naming the field', async () => {
    const chunk = (await engine.list('m0', { kind: 'chunk' })).items[0];
    await expect(engine.correct({ id: chunk?.id ?? '', text: 'x' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { field: 'id' },
    });
    await expect(engine.correct({ id: 'fact:nope', text: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { field: 'id' },
    });
    const fact = (await engine.list('m2', { kind: 'fact' })).items.find((f) => f.validTo === null);
    await expect(engine.correct({ id: fact?.id ?? '', text: `  ${fact?.text}` })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { field: 'text' },
    });
    await expect(engine.correct({ id: fact?.id ?? '', text: '   ' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { field: 'correct.text' },
    });
    await expect(engine.history({ factId: chunk?.id ?? '' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('forget', () => {
  it('a dry run changes nothing, and the real run removes exactly what it listed from get, list, query and every store', async () => {
    const before = await engine.storage.storeIds('core');
    const dry = await engine.forget({ ids: [ids.rome] });
    expect(dry.dryRun).toBe(true);
    expect(await engine.storage.storeIds('core')).toEqual(before);
    expect(dry.messages.map((m) => m.id)).toEqual([ids.rome]);
    expect(dry.counts.m0).toBeGreaterThanOrEqual(1);
    expect(dry.counts.byKind.chunk).toBeGreaterThanOrEqual(1);
    // The message's episode goes with its chunk; the session keeps its other messages and is rebuilt.
    expect(dry.counts.m1).toBe(1);
    expect(dry.rebuild.sessions).toEqual([ids.s1]);
    expect(dry.items.every((i) => i.label.length > 0 && i.label.length <= 120)).toBe(true);

    const real = await engine.forget({ ids: [ids.rome], dryRun: false, reason: 'private', actor: 'test' });
    expect(real.dryRun).toBe(false);
    expect(withoutRun(real)).toEqual(withoutRun(dry));
    expect(real.removed).toEqual({ items: dry.items.length, messages: 1, sessions: 0 });
    await engine.flush();
    await expectGone(dry);
    const hits = (await engine.query({ text: 'sister Carol Rome', k: 20, returns: 'messages' })).hits;
    expect(hits.map((h) => h.id)).not.toContain(ids.rome);
    // Entities only the forgotten message named (Carol, Rome) are collected too.
    expect((await allItems()).filter((i) => /\b(Rome|Carol)\b/.test(i.text)).map((i) => i.text)).toEqual([]);
    // The rebuild: the session's other messages have chunks and an episode again.
    const left = await engine.listMessages(ids.s1);
    expect(left.map((m) => m.id)).not.toContain(ids.rome);
    const chunks = (await engine.list('m0', { kind: 'chunk', sessionId: ids.s1 })).items;
    expect(new Set(chunks.flatMap((c) => c.sources))).toEqual(new Set(left.map((m) => m.id)));
    expect((await engine.list('m1', { sessionId: ids.s1 })).total).toBeGreaterThan(0);
    // The re-cut episode is extracted again, but the user's correction stands and the corrected statement stays gone.
    expect((await engine.get(ids.correction)).item).toMatchObject({ text: 'Alice lives in Lyon.', validTo: null });
    const current = (await engine.list('m2', { kind: 'fact' }, { limit: 1000 })).items.filter(
      (f) => f.validTo === null,
    );
    expect(current.filter((f) => /lives in Paris/.test(f.text)).map((f) => f.id)).toEqual([]);
    const [entry] = await engine.auditLog({ limit: 1 });
    expect(entry).toMatchObject({
      id: real.auditId,
      action: 'forget',
      actor: 'test',
      reason: 'private',
      target: { ids: [ids.rome], query: false },
      result: { removed: real.removed },
    });
  });

  it('by query: every message and item containing the words, and the audit log keeps no word of it', async () => {
    const dry = await engine.forget({ query: 'biscuit' });
    expect(dry.messages.map((m) => m.id)).toEqual([ids.biscuit]);
    expect(dry.items.some((i) => i.kind === 'chunk')).toBe(true);
    const real = await engine.forget({ query: 'biscuit', dryRun: false });
    expect(withoutRun(real)).toEqual(withoutRun(dry));
    await engine.flush();
    await expectGone(dry);
    expect((await engine.query({ text: 'Biscuit', k: 20 })).hits.filter((h) => /biscuit/i.test(h.text))).toEqual([]);
    expect((await allItems()).filter((i) => /biscuit/i.test(i.text)).map((i) => i.text)).toEqual([]);
    const log = await engine.auditLog();
    expect(log[0]).toMatchObject({ action: 'forget', actor: 'engine', target: { query: true } });
    expect(JSON.stringify(log)).not.toMatch(/biscuit/i);
  });

  it('a session: its messages, every item of it, and nothing of the other sessions', async () => {
    const othersBefore = (await allItems())
      .filter((i) => i.sessionId !== ids.s3 && i.kind !== 'entity')
      .map((i) => i.id);
    const dry = await engine.forget({ sessionIds: [ids.s3] });
    expect(dry.sessions).toEqual([{ id: ids.s3, title: 'Travel' }]);
    expect(dry.counts.messages).toBe(2);
    expect(dry.rebuild).toEqual({ sessions: [], messages: [] });
    const real = await engine.forget({ sessionIds: [ids.s3], dryRun: false });
    expect(withoutRun(real)).toEqual(withoutRun(dry));
    expect(real.removed).toMatchObject({ messages: 2, sessions: 1 });
    await engine.flush();
    await expectGone(dry);
    expect((await engine.listSessions()).map((s) => s.id)).not.toContain(ids.s3);
    const othersAfter = new Set((await allItems()).map((i) => i.id));
    expect(othersBefore.filter((id) => !othersAfter.has(id))).toEqual([]);
    expect(JSON.stringify(await engine.auditLog())).not.toMatch(/Lisbon/);
  });

  it('refuses nothing named and unknown ids, naming the field; a query of no words matches nothing', async () => {
    await expect(engine.forget({})).rejects.toMatchObject({ code: 'INVALID_INPUT', details: { field: 'ids' } });
    await expect(engine.forget({ ids: [ids.paris, 'no-such-id'] })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { field: 'ids[1]' },
    });
    await expect(engine.forget({ sessionIds: ['no-such-session'] })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { field: 'sessionIds[0]' },
    });
    await expect(engine.forget({ ids: [], dryRun: false })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const before = await engine.storage.storeIds('core');
    const none = await engine.forget({ query: ' ?! ', dryRun: false });
    expect(none.items).toEqual([]);
    expect(none.messages).toEqual([]);
    expect(await engine.storage.storeIds('core')).toEqual(before);
  });
});

describe('forget by query and by item leaves no byte behind', () => {
  it('the forgotten words are in no file or WAL after close, the audit log included; what was kept still is', async () => {
    const t = tempDir('strata-edits-raw-');
    const files = ['core.db', 'vector.db', 'keyword.db', 'graph.db'];
    const holding = (text: string) =>
      readdirSync(t.dir)
        .filter((f) => files.some((db) => f.startsWith(db)))
        .filter((f) => readFileSync(join(t.dir, f)).includes(Buffer.from(text, 'utf8')));
    const e = await Engine.open({ dataDir: t.dir, embedder: 'hashing' });
    try {
      const s = await e.createSession({ participants: ['Ann', 'Bob'], startedAt: '2024-01-01' });
      await e.addMessages(s.id, [
        {
          speaker: 'Ann',
          text: 'The safe combination is pelicanharp5521, keep it quiet.',
          timestamp: '2024-01-01T10:00:00Z',
        },
        {
          speaker: 'Bob',
          text: 'We planted tulips along the north wall of the garden.',
          timestamp: '2024-01-01T10:01:00Z',
        },
        {
          speaker: 'Ann',
          text: 'Grandma Wilhelmina visits on Sunday with her dog.',
          timestamp: '2024-01-01T10:02:00Z',
        },
      ]);
      await e.flush();
      // Stored before the forget: in core.db or still in its WAL, whichever a checkpoint has reached.
      expect(holding('pelicanharp5521').map((f) => f.replace(/-wal$/, ''))).toContain('core.db');
      const entity = (await e.list('m2', { kind: 'entity' })).items.find((i) => /Wilhelmina/.test(i.text));
      expect(entity).toBeDefined();
      await e.forget({ query: 'pelicanharp5521', dryRun: false, reason: 'a secret' });
      // By item: the entity, and with it nothing else of the message that named it (that stays, said once).
      await e.forget({ ids: [entity?.id as string], dryRun: false });
      await e.flush();
    } finally {
      await e.close();
    }
    try {
      expect(holding('pelicanharp5521')).toEqual([]);
      expect(holding('entity:wilhelmina')).toEqual([]);
      expect(holding('tulips along the north wall')).toContain('core.db');
    } finally {
      t.cleanup();
    }
  });
});
