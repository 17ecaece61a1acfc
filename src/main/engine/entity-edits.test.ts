import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { readStores, tempDir } from '../../../test/support/fixtures';
import type { Item } from '../../shared/types';
import { Engine } from './engine';

// A real engine (hashing embedder, all three layers, real workers and files) per test, with one conversation in
// which the rules extractor finds people, places and their relationships.
const open: { engine: Engine; dir: { dir: string; cleanup(): void } }[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.engine.close().catch(() => undefined);
    o.dir.cleanup();
  }
});

async function seeded(): Promise<{ engine: Engine; dir: string }> {
  const dir = tempDir('strata-entity-edits-');
  const engine = await Engine.open({ dataDir: dir.dir, embedder: 'hashing' });
  open.push({ engine, dir });
  const s = await engine.createSession({
    title: 'Catching up',
    participants: ['Alice', 'Bob'],
    startedAt: '2024-03-01',
  });
  await engine.addMessages(s.id, [
    { speaker: 'Alice', text: 'I live in Paris now, I moved there last year.', timestamp: '2024-03-01T10:00:00Z' },
    { speaker: 'Bob', text: 'Do you still work at Acme? Say hi to Carol for me.', timestamp: '2024-03-01T10:01:00Z' },
    {
      speaker: 'Alice',
      text: 'Yes, I work at Acme as a designer. My sister Carol lives in Rome.',
      timestamp: '2024-03-01T10:02:00Z',
    },
    {
      speaker: 'Bob',
      text: 'Caroline visited me in Berlin last week, she loves Rome.',
      timestamp: '2024-03-01T10:03:00Z',
    },
  ]);
  await engine.flush();
  return { engine, dir: dir.dir };
}

const fieldRe = (field: string) => new RegExp(`^(\\w+\\.)?${field}$`);

/** Every M2 item, as the journal holds it, by id. */
async function m2(engine: Engine): Promise<Item[]> {
  const { items } = await engine.list('m2', {}, { limit: 1000 });
  const norm = (i: Item) => ({
    ...i,
    links: [...i.links].sort((a, b) => `${a.kind}${a.dst}`.localeCompare(`${b.kind}${b.dst}`)),
    sources: [...i.sources].sort(),
  });
  return items.map(norm).sort((a, b) => a.id.localeCompare(b.id));
}

/** The journal's links into an entity, read from core.db with a separate read-only connection. */
function journalLinksTo(dir: string, dst: string): { src: string; kind: string }[] {
  const db = new Database(join(dir, 'core.db'), { readonly: true });
  try {
    return db
      .prepare<[string], { src: string; kind: string }>('SELECT src, kind FROM links WHERE dst = ? ORDER BY src, kind')
      .all(dst);
  } finally {
    db.close();
  }
}

/** The graph store's edges into a node, read from graph.db. */
function graphEdgesTo(dir: string, dst: string): { src: string; kind: string }[] {
  return readStores(dir)
    .edges.filter((e) => e.dst === dst)
    .map(({ src, kind }) => ({ src, kind }));
}

describe('mergeEntities', () => {
  it('moves every link and edge into the kept entity, keeps the names, and a rebuilt graph replays the same', async () => {
    const { engine, dir } = await seeded();
    const before = await m2(engine);
    const caroline = before.find((i) => i.id === 'entity:caroline');
    const rome = before.find((i) => i.id === 'entity:rome');
    expect(caroline).toBeDefined();
    expect(rome).toBeDefined();
    const intoCaroline = journalLinksTo(dir, 'entity:caroline');
    const intoRome = journalLinksTo(dir, 'entity:rome');
    expect(intoCaroline.length).toBeGreaterThan(3);
    expect(graphEdgesTo(dir, 'entity:caroline')).toEqual(intoCaroline);

    const r = await engine.mergeEntities({ keepId: 'entity:rome', mergeId: 'entity:caroline', reason: 'test' });
    expect(r.entityId).toBe('entity:rome');
    expect(r.rewritten).toBe(new Set(intoCaroline.map((l) => l.src)).size);
    await expect(engine.get('entity:caroline')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(journalLinksTo(dir, 'entity:caroline')).toEqual([]);
    expect(graphEdgesTo(dir, 'entity:caroline')).toEqual([]);
    // Every link that pointed at Caroline now points at Rome (one per source and kind: duplicates fold).
    const expected = new Set([...intoRome, ...intoCaroline].map((l) => `${l.src}|${l.kind}`));
    const into = journalLinksTo(dir, 'entity:rome');
    expect(new Set(into.map((l) => `${l.src}|${l.kind}`))).toEqual(expected);
    expect(into.length).toBe(expected.size);
    expect(graphEdgesTo(dir, 'entity:rome')).toEqual(into);
    const kept = (await engine.get('entity:rome')).item;
    expect(kept.data?.aliases).toEqual(['Caroline', 'Carol']);
    expect(kept.text).toBe('Rome (also Caroline, Carol)');
    // The entity's facts: everything that mentioned either.
    const mentioned = (id: string) =>
      before.filter((i) => i.kind === 'fact' && i.links.some((l) => l.dst === id && l.kind === 'mentions'));
    const facts = await engine.itemsLinkingTo('entity:rome', 'mentions', 'fact');
    expect(mentioned('entity:caroline').length).toBeGreaterThan(0);
    expect(facts.map((f) => f.id).sort()).toEqual(
      [...new Set([...mentioned('entity:rome'), ...mentioned('entity:caroline')].map((f) => f.id))].sort(),
    );

    const [audit] = await engine.auditLog({ limit: 1 });
    expect(audit).toMatchObject({
      id: r.auditId,
      action: 'merge',
      target: { keepId: 'entity:rome', mergeId: 'entity:caroline' },
      reason: 'test',
    });

    await engine.close();
    const live = readStores(dir);
    for (const f of ['vector.db', 'keyword.db', 'graph.db']) rmSync(join(dir, f));
    const again = await Engine.open({ dataDir: dir, embedder: 'hashing' });
    open.push({ engine: again, dir: { dir, cleanup: () => undefined } });
    await again.flush();
    await again.close();
    expect(readStores(dir)).toEqual(live);
  }, 180_000);

  it('undo restores every item, link, edge, vector and keyword row exactly, once', async () => {
    const { engine, dir } = await seeded();
    const before = await m2(engine);
    const storesBefore = readStores(dir);
    const r = await engine.mergeEntities({ keepId: 'entity:alice', mergeId: 'entity:caroline' });
    expect(await m2(engine)).not.toEqual(before);
    const u = await engine.undoEdit({ auditId: r.auditId, actor: 'test' });
    expect(u.entityId).toBe('entity:caroline');
    expect(await m2(engine)).toEqual(before);
    await engine.flush();
    const after = readStores(dir);
    expect(after.edges).toEqual(storesBefore.edges);
    expect(after.nodes).toEqual(storesBefore.nodes);
    expect(after.keyword).toEqual(storesBefore.keyword);
    expect(after.vector).toEqual(storesBefore.vector);
    const log = await engine.auditLog({ limit: 2 });
    expect(log[0]).toMatchObject({ action: 'undo', actor: 'test', target: { auditId: r.auditId, action: 'merge' } });
    await expect(engine.undoEdit({ auditId: r.auditId })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { field: 'auditId', undoneBy: u.auditId },
    });
  }, 180_000);

  it('refuses bad merges with a typed error naming the field, changing nothing', async () => {
    const { engine } = await seeded();
    const before = await m2(engine);
    const cases: [Parameters<Engine['mergeEntities']>[0], string, string][] = [
      [{ keepId: 'entity:rome', mergeId: 'entity:rome' }, 'INVALID_INPUT', 'mergeId'],
      [{ keepId: 'entity:nobody', mergeId: 'entity:rome' }, 'NOT_FOUND', 'keepId'],
      [{ keepId: 'entity:rome', mergeId: 'entity:nobody' }, 'NOT_FOUND', 'mergeId'],
      [{ keepId: 'entity:rome', mergeId: before.find((i) => i.kind === 'fact')?.id ?? '' }, 'INVALID_INPUT', 'mergeId'],
      [{ keepId: '', mergeId: 'entity:rome' }, 'INVALID_INPUT', 'keepId'],
      [{ keepId: 'entity:rome', mergeId: 'entity:paris', extra: 1 } as never, 'INVALID_INPUT', 'mergeIds'],
    ];
    for (const [input, code, field] of cases) {
      const err = await engine.mergeEntities(input).catch((e: unknown) => e);
      expect(err).toMatchObject({ code });
      // Schema refusals name the field under the operation (`mergeEntities.keepId`), the engine's own by itself.
      if (field !== 'mergeIds')
        expect(err).toMatchObject({ details: { field: expect.stringMatching(fieldRe(field)) } });
    }
    await expect(engine.undoEdit({ auditId: 999 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      details: { field: 'auditId' },
    });
    expect(await m2(engine)).toEqual(before);
    expect(await engine.auditLog()).toEqual([]);
  }, 180_000);
});

describe('renameEntity', () => {
  it('changes the label everywhere, keyword search included, and undo restores it exactly', async () => {
    const { engine, dir } = await seeded();
    const before = await m2(engine);
    const storesBefore = readStores(dir);
    const r = await engine.renameEntity({ id: 'entity:caroline', name: 'Caroline Dupont', reason: 'full name' });
    expect(r.entityId).toBe('entity:caroline');
    const e = (await engine.get('entity:caroline')).item;
    expect(e.data?.name).toBe('Caroline Dupont');
    expect(e.data?.aliases).toEqual(['Carol', 'Caroline']);
    expect(e.text).toBe('Caroline Dupont (also Carol, Caroline)');
    // Its relationships spell the new name; the facts (what people said) keep their words.
    const rels = (await engine.itemsOfKind('relationship')).filter((x) =>
      x.links.some((l) => l.dst === 'entity:caroline'),
    );
    expect(rels.length).toBe(r.rewritten);
    expect(rels.length).toBeGreaterThan(0);
    for (const rel of rels) expect(rel.text).toContain('Caroline Dupont');
    expect(rels.map((x) => x.text)).toContain('Caroline Dupont lives in Rome');
    // The keyword store holds the new label: searching the new surname finds the entity through keywords.
    const q = await engine.query({ text: 'Dupont', layers: ['m2'] });
    const hit = q.hits.find((h) => h.id === 'entity:caroline');
    expect(hit?.sources.keyword).toBeDefined();
    expect(readStores(dir).keyword.find((k) => k.id === 'entity:caroline')?.text).toContain('Caroline Dupont');

    await engine.undoEdit({ auditId: r.auditId });
    expect(await m2(engine)).toEqual(before);
    await engine.flush();
    expect(readStores(dir).keyword).toEqual(storesBefore.keyword);
    const again = await engine.query({ text: 'Dupont', layers: ['m2'] });
    expect(again.hits.find((h) => h.id === 'entity:caroline')).toBeUndefined();
  }, 180_000);

  it('refuses a blank name, the same name, a name another entity has, and a non-entity', async () => {
    const { engine } = await seeded();
    const before = await m2(engine);
    const fact = before.find((i) => i.kind === 'fact')?.id ?? '';
    const cases: [Parameters<Engine['renameEntity']>[0], string, string][] = [
      [{ id: 'entity:caroline', name: '   ' }, 'INVALID_INPUT', 'name'],
      [{ id: 'entity:caroline', name: '!!!' }, 'INVALID_INPUT', 'name'],
      [{ id: 'entity:caroline', name: 'Caroline' }, 'INVALID_INPUT', 'name'],
      [{ id: 'entity:caroline', name: 'Rome' }, 'INVALID_INPUT', 'name'],
      [{ id: 'entity:caroline', name: 'x'.repeat(201) }, 'INVALID_INPUT', 'name'],
      [{ id: fact, name: 'Something' }, 'INVALID_INPUT', 'id'],
      [{ id: 'entity:nobody', name: 'Somebody' }, 'NOT_FOUND', 'id'],
    ];
    for (const [input, code, field] of cases) {
      await expect(engine.renameEntity(input)).rejects.toMatchObject({
        code,
        details: { field: expect.stringMatching(fieldRe(field)) },
      });
    }
    // A forget is final: undo refuses it by name.
    const plan = await engine.forget({ ids: [fact], dryRun: false });
    await expect(engine.undoEdit({ auditId: plan.auditId ?? 0 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      details: { field: 'auditId', action: 'forget' },
    });
  }, 180_000);
});
