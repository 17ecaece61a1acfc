import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import { type LocomoConversation, loadLocomo } from '../../../../test/support/locomo';
import { STORE_NAMES } from '../../../shared/types';
import { Engine } from '../engine';

// One full, real LoCoMo conversation through all three layers with the default embedder (USE-lite).
let engine: Engine;
let conv: LocomoConversation;
let dir: { dir: string; cleanup(): void };

beforeAll(async () => {
  conv = loadLocomo()[0] as LocomoConversation;
  dir = tempDir('strata-layers-');
  engine = await Engine.open({ dataDir: dir.dir, embedder: 'use-lite' });
  for (const s of conv.sessions) {
    await engine.createSession({
      id: `${conv.sampleId}:${s.key}`,
      title: `${conv.speakers.join(' & ')}, ${s.key}`,
      participants: conv.speakers,
      startedAt: s.startedAt,
    });
    await engine.addMessages(`${conv.sampleId}:${s.key}`, s.messages);
  }
  await engine.flush();
}, 600_000);

afterAll(async () => {
  await engine?.close();
  dir?.cleanup();
});

const sessionIds = () => conv.sessions.map((s) => `${conv.sampleId}:${s.key}`);

async function all(layer: 'm0' | 'm1' | 'm2', kind: string) {
  const out = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await engine.list(layer, { kind }, { limit: 1000, offset });
    out.push(...page.items);
    if (out.length >= page.total) return out;
  }
}

describe('a LoCoMo conversation through M0, M1 and M2', () => {
  it('puts every message in M0 and every chunk in every store', async () => {
    const turns = conv.sessions.flatMap((s) => s.messages.map((m) => m.id));
    const stored = (await Promise.all(sessionIds().map((id) => engine.listMessages(id)))).flat().map((m) => m.id);
    expect(stored.sort()).toEqual([...turns].sort());
    const chunks = await all('m0', 'chunk');
    expect(new Set(chunks.flatMap((c) => c.sources))).toEqual(new Set(turns));
    const journal = await engine.storage.storeIds('core');
    for (const s of STORE_NAMES) expect(await engine.storage.storeIds(s)).toEqual(journal);
    expect(engine.status().embedder).toMatchObject({ id: 'use-lite-512', fallback: null });
  });

  it('puts every chunk in exactly one episode, never across sessions', async () => {
    const chunks = await all('m0', 'chunk');
    const episodes = await all('m1', 'episode');
    expect(episodes.length).toBeGreaterThanOrEqual(conv.sessions.length);
    const owner = new Map<string, string>();
    for (const e of episodes) {
      for (const c of e.sources) {
        expect(owner.has(c), `${c} is in ${owner.get(c)} and ${e.id}`).toBe(false);
        owner.set(c, e.id);
      }
      const sessions = new Set(e.sources.map((c) => chunks.find((x) => x.id === c)?.sessionId));
      expect(sessions).toEqual(new Set([e.sessionId]));
      expect(e.data).toMatchObject({ title: expect.any(String), summary: expect.any(String) });
      expect(((e.data?.participants as string[] | undefined) ?? []).length).toBeGreaterThan(0);
      expect(e.validFrom).toBeLessThanOrEqual(e.validTo as number);
    }
    expect(owner.size).toBe(chunks.length);
  });

  it('gives every episode and fact a provenance that resolves to existing messages', async () => {
    const facts = await all('m2', 'fact');
    expect(facts.length).toBeGreaterThan(50);
    const known = new Set(conv.sessions.flatMap((s) => s.messages.map((m) => m.id)));
    for (const item of [...(await all('m1', 'episode')), ...facts]) {
      const p = await engine.get(item.id);
      expect(p.messages.length, item.id).toBeGreaterThan(0);
      for (const m of p.messages) expect(known.has(m.id)).toBe(true);
    }
    // And the other way: a message leads to its chunk, episode and facts.
    const d13 = await engine.get(`${conv.sampleId}:D1:3`);
    expect(d13.descendants.map((d) => d.kind)).toEqual(expect.arrayContaining(['chunk', 'episode', 'fact']));
  });

  it('resolves "yesterday" in D1:3 (said on 8 May 2023) to a fact dated 7 May 2023, about Caroline', async () => {
    const d13 = await engine.get(`${conv.sampleId}:D1:3`);
    const fact = d13.descendants.find((d) => d.kind === 'fact' && /support group/i.test(d.text));
    expect(fact, JSON.stringify(d13.descendants.map((d) => d.text))).toBeDefined();
    expect(fact?.text).toContain('Caroline');
    expect(fact?.text).toContain('7 May 2023');
    const day = new Date(fact?.validFrom as number);
    expect([day.getFullYear(), day.getMonth(), day.getDate()]).toEqual([2023, 4, 7]);
    expect(fact?.data?.subject).toBe('Caroline');
  });

  it('resolves entities across sessions and links facts to them', async () => {
    const entities = await all('m2', 'entity');
    const names = entities.map((e) => e.data?.name);
    expect(names).toEqual(expect.arrayContaining(['Caroline', 'Melanie']));
    expect(new Set(entities.map((e) => e.id)).size).toBe(entities.length);
    const caroline = await engine.get('entity:caroline');
    expect(caroline.item.kind).toBe('entity');
    const facts = await all('m2', 'fact');
    const mentioning = facts.filter((f) => f.links.some((l) => l.kind === 'mentions' && l.dst === 'entity:caroline'));
    expect(new Set(mentioning.map((f) => f.sessionId)).size).toBeGreaterThan(3);
  });

  it('treats a repeated statement as a no-op and lets a contradiction supersede, recording why', async () => {
    const sid = 'updates';
    await engine.createSession({ id: sid, participants: ['Caroline', 'Melanie'] });
    const day = (d: number) => new Date(2024, 0, d, 10).getTime();
    await engine.addMessages(sid, [
      { speaker: 'Caroline', text: 'I live in Boston with my two cats.', timestamp: day(1) },
    ]);
    await engine.flush();
    await engine.addMessages(sid, [
      { speaker: 'Caroline', text: 'I live in Boston with my two cats.', timestamp: day(2) },
    ]);
    await engine.flush();
    await engine.addMessages(sid, [{ speaker: 'Caroline', text: 'I live in Paris now.', timestamp: day(20) }]);
    await engine.flush();
    const decisions = await engine.decisions(sid);
    const actions = decisions.map((d) => d.action);
    expect(actions).toContain('noop');
    expect(actions).toContain('update');
    const update = decisions.find((d) => d.action === 'update');
    expect(update?.reason).toMatch(/Boston/);
    const old = await engine.get(update?.targetId as string);
    expect(old.item.validTo).toBe(day(20));
    expect(old.item.links).toContainEqual({ dst: update?.factId, kind: 'superseded_by' });
    const successor = await engine.get(update?.factId as string);
    expect(successor.item.text).toMatch(/Caroline.*Paris/);
    expect(successor.item.validTo).toBeNull();
  });

  it('deleting a session leaves no trace of it in any layer or store', async () => {
    const victim = sessionIds()[1] as string;
    const before = await engine.list('m2', { sessionId: victim });
    expect(before.total).toBeGreaterThan(0);
    await engine.deleteSession(victim);
    await engine.flush();
    for (const layer of ['m0', 'm1', 'm2'] as const) {
      expect((await engine.list(layer, { sessionId: victim })).total).toBe(0);
    }
    expect(await engine.listMessages(victim)).toEqual([]);
    const journal = await engine.storage.storeIds('core');
    for (const s of STORE_NAMES) expect(await engine.storage.storeIds(s)).toEqual(journal);
    expect(journal.some((id) => id.includes(':D2:'))).toBe(false);
    expect(await engine.storage.read('orphanEntities', {})).toEqual([]);
  });
});

describe('traces of the layers', () => {
  it('shows each layer stage by stage, and says when the LLM path fell back to the rules', async () => {
    const t = tempDir('strata-layer-traces-');
    // A closed port: the configured LLM endpoint fails at once, and the rules must run instead.
    const llmEngine = await Engine.open({
      dataDir: t.dir,
      embedder: 'hashing',
      llm: { url: 'http://127.0.0.1:9/v1', model: 'absent-model', timeoutMs: 2_000 },
    });
    try {
      await llmEngine.createSession({ id: 's', participants: ['Caroline', 'Melanie'] });
      await llmEngine.addMessages('s', [
        { speaker: 'Caroline', text: 'I went to a LGBTQ support group yesterday and it was so powerful.' },
        { speaker: 'Melanie', text: 'That sounds great, I ran a charity race for mental health last Saturday.' },
      ]);
      await llmEngine.flush();
      const traces = await llmEngine.listTraces(50);
      const m0 = traces.find((tr) => tr.kind === 'm0.addMessages');
      expect(m0?.spans.map((s) => s.stage)).toEqual(expect.arrayContaining(['embed', 'journal', 'store']));
      expect(m0?.spans.every((s) => s.layer === 'm0')).toBe(true);
      const m1 = traces.find((tr) => tr.kind === 'm1.episodes');
      expect(m1?.spans.map((s) => s.stage)).toEqual(expect.arrayContaining(['segment', 'embed', 'journal', 'store']));
      const m2 = traces.find((tr) => tr.kind === 'm2.facts');
      expect(m2?.spans.map((s) => s.stage)).toEqual(expect.arrayContaining(['extract', 'embed', 'journal', 'store']));
      expect(m2?.notes?.join(' ')).toMatch(/rules-after-llm-failure: network/);
      expect((await llmEngine.list('m2', { kind: 'fact' })).total).toBeGreaterThan(0);
    } finally {
      await llmEngine.close();
      t.cleanup();
    }
  });
});

describe('deleting one message', () => {
  it('rebuilds the chunk, episode and facts of the messages that shared its chunk', async () => {
    const t = tempDir('strata-layer-delete-');
    const e = await Engine.open({ dataDir: t.dir, embedder: 'hashing' });
    try {
      await e.createSession({ id: 's', participants: ['Caroline', 'Melanie'] });
      // Two short messages share one chunk; deleting the first takes that chunk (and what derives from it) along.
      await e.addMessages('s', [
        { id: 'hi', speaker: 'Melanie', text: 'Hey Caroline!' },
        { id: 'race', speaker: 'Melanie', text: 'I ran a charity race.' },
      ]);
      await e.flush();
      expect((await e.list('m0', { kind: 'chunk' })).items.map((c) => c.sources)).toEqual([['hi', 'race']]);
      await e.deleteMessage('hi');
      await e.flush();
      const chunks = (await e.list('m0', { kind: 'chunk' })).items;
      expect(chunks.map((c) => c.sources)).toEqual([['race']]);
      const race = await e.get('race');
      expect(race.descendants.map((d) => d.kind)).toEqual(expect.arrayContaining(['chunk', 'episode', 'fact']));
      expect(race.descendants.some((d) => d.sources.includes('hi'))).toBe(false);
    } finally {
      await e.close();
      t.cleanup();
    }
  });
});
