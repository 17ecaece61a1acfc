/**
 * Search as you type on a real engine (SQLite files, reader workers, the hashing embedder): the prefix match, entity
 * names, conversation titles, the newest-wins rule for calls that wait, typed refusals; and the index-only layer counts
 * it sits beside (storage/layer-reads.ts), which must agree with counting the rows.
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../test/support/fixtures';
import type { SuggestResult } from '../../../shared/api-suggest';
import { StrataError } from '../../../shared/errors';
import { Engine } from '../engine';
import { ENTITY_PREFIX_SQL, startsAWord } from '../storage/suggest-reads';
import { suggestPlan } from './suggest';

const TEXTS = [
  'I joined a support group for new parents last week.',
  'The support from my sister means a lot.',
  'We went to the pottery class in Boston.',
  'Supper was pasta with basil from the garden.',
  'The group hike was cancelled because of rain.',
  // Words starting with "re" but not "res": porter stems a typed "res" to "re".
  'We read it again and really enjoyed it.',
  'Her research on restaurants is done.',
];

/** A chunk's text names its speaker. */
const said = (t: string | undefined) => `user: ${t}`;

let engine: Engine;
let cleanup: () => void;
let dir: string;

beforeAll(async () => {
  const t = tempDir('strata-suggest-');
  cleanup = t.cleanup;
  dir = t.dir;
  engine = await Engine.open({ dataDir: t.dir, embedder: 'hashing', layers: false, chunking: { shortTokens: 0 } });
  await engine.createSession({ id: 's1', title: 'Weekend with Melanie' });
  await engine.addMessages(
    's1',
    TEXTS.map((text, i) => ({ id: `s1:${i}`, role: 'user' as const, text, timestamp: Date.UTC(2023, 4, 8 + i) })),
  );
  const names = ['Caroline', 'Carl', 'Melanie'];
  const vectors = await engine.embedder.embed(names);
  await engine.writeBatch({
    items: names.map((name) => ({
      id: `entity:${name.toLowerCase()}`,
      layer: 'm2' as const,
      kind: 'entity',
      sessionId: null,
      text: name,
      sources: [],
      data: { name, entityKind: 'person', aliases: [] },
    })),
    vectors,
    kind: 'test.entities',
    layer: 'm2',
  });
});

afterAll(async () => {
  await engine.close();
  cleanup();
});

describe('suggestPlan', () => {
  it('ANDs finished words; the word being typed is tried whole, then as a prefix; user text never reaches FTS5 syntax', () => {
    expect(suggestPlan('support gro')).toEqual({
      matches: ['"support" "gro"', '"support" "gro"*'],
      words: ['support'],
      prefix: 'gro',
    });
    expect(suggestPlan('support group ').matches).toEqual(['"support" "group"']);
    expect(suggestPlan('the sup').matches).toEqual(['"sup"', '"sup"*']);
    // A one- or two-letter start is not a prefix (it starts hundreds of words): whole word only.
    expect(suggestPlan('door da').matches).toEqual(['"door" "da"']);
    expect(suggestPlan('NEAR(a* "b"')).toEqual({ matches: ['"near" "b"'], words: ['near', 'b'], prefix: null });
    expect(suggestPlan('a').matches).toEqual(['"a"']);
  });
});

describe('suggest', () => {
  it('finds memories by the start of the word being typed, newest first, with dates and why', async () => {
    const r = await engine.suggest({ text: 'support gro' });
    expect(r.superseded).toBe(false);
    expect(r.hits.map((h) => h.text)).toEqual([said(TEXTS[0])]);
    expect(r.hits[0]).toMatchObject({ kind: 'chunk', layer: 'm0', matched: ['support'], prefix: 'gro' });
    expect(r.hits[0]?.validFrom).toBe(Date.UTC(2023, 4, 8));
    const sup = await engine.suggest({ text: 'sup' });
    // "sup" starts support (twice) and supper: all three, and nothing else.
    expect(sup.hits.map((h) => h.text).sort()).toEqual([TEXTS[1], TEXTS[0], TEXTS[3]].map(said).sort());
  });

  it('a prefix finds only words starting with the letters typed, though FTS5 stems them ("res" is "re" to porter)', async () => {
    const res = await engine.suggest({ text: 'res' });
    expect(res.hits.map((h) => h.text)).toEqual([said(TEXTS[6])]);
    expect(res.hits[0]).toMatchObject({ prefix: 'res', matched: [] });
    // "rea" is not stemmed: both the read and the research rows start a word with it.
    expect((await engine.suggest({ text: 'rea' })).hits.map((h) => h.text)).toEqual([said(TEXTS[5])]);
    expect(startsAWord('Her Résumé', 'resu')).toBe(true);
    expect(startsAWord('pressure', 'res')).toBe(false);
    expect(startsAWord('the pressure, resolved', 'res')).toBe(true);
  });

  it('reads entities by a range of the id key, not through every entity row', () => {
    const core = new Database(join(dir, 'core.db'), { readonly: true });
    const plan = core
      .prepare<[string, string, number], { detail: string }>(`EXPLAIN QUERY PLAN ${ENTITY_PREFIX_SQL}`)
      .all('entity:car', 'entity:car\uffff', 5)
      .map((r) => r.detail);
    core.close();
    expect(plan).toEqual([
      expect.stringMatching(/^SEARCH items USING INDEX sqlite_autoindex_items_1 \(id>\? AND id<\?\)/),
    ]);
  });

  it('names entities whose name starts with the text, and conversations whose title contains it', async () => {
    const r = await engine.suggest({ text: 'Car' });
    expect(r.entities).toEqual([
      { id: 'entity:carl', name: 'Carl' },
      { id: 'entity:caroline', name: 'Caroline' },
    ]);
    expect((await engine.suggest({ text: 'melanie' })).sessions).toEqual([{ id: 's1', title: 'Weekend with Melanie' }]);
    expect((await engine.suggest({ text: 'zebra' })).hits).toEqual([]);
  });

  it('of calls waiting together only the newest runs; the others answer superseded', async () => {
    const [a, b, c] = await Promise.all([
      engine.suggest({ text: 'p' }),
      engine.suggest({ text: 'po' }),
      engine.suggest({ text: 'pot' }),
    ]);
    expect(c?.superseded).toBe(false);
    expect(c?.hits.map((h) => h.text)).toEqual([said(TEXTS[2])]);
    expect(b?.superseded).toBe(true);
    expect(b?.hits).toEqual([]);
    // The first may already have been reading when the others came; either way it answered for its own text.
    expect(a?.text).toBe('p');
  });

  it('refuses bad input with a typed error naming the field', async () => {
    const err = await engine.suggest({ text: 'x'.repeat(201) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrataError);
    expect(err).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'input.text' } });
    const bad = await engine.suggest({ text: 'ok', limit: 0 }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'input.limit' } });
  });
});

describe('index-only layer counts', () => {
  it('agree with counting rows, per layer, kind and session', async () => {
    expect(await engine.layerCounts()).toEqual([
      { layer: 'm0', kind: 'chunk', n: 7 },
      { layer: 'm2', kind: 'entity', n: 3 },
    ]);
    expect((await engine.list('m0')).total).toBe(7);
    expect((await engine.list('m2')).total).toBe(3);
    expect((await engine.list('m1')).total).toBe(0);
    expect((await engine.list('m0', { sessionId: 's1' })).total).toBe(7);
    expect((await engine.list('m2', { sessionId: 's1' })).total).toBe(0);
    expect((await engine.list('m2', { kind: 'entity' })).total).toBe(3);
    expect((await engine.list('m0', { kind: 'entity' })).total).toBe(0);
    expect((await engine.list('m0', { text: 'support' })).total).toBe(2);
  });
});

describe('a folder written before the prefix index (keyword.db version 2)', () => {
  it('is migrated when opened: every row kept, prefixes answered from the index, new rows still indexed', async () => {
    const t = tempDir('strata-suggest-old-');
    try {
      const first = await Engine.open({
        dataDir: t.dir,
        embedder: 'hashing',
        layers: false,
        chunking: { shortTokens: 0 },
      });
      await first.createSession({ id: 's1', title: 'Old folder' });
      await first.addMessages(
        's1',
        TEXTS.map((text, i) => ({ id: `o:${i}`, role: 'user' as const, text, timestamp: Date.UTC(2023, 4, 8 + i) })),
      );
      await first.close();
      // Put keyword.db back as version 2 wrote it: the same rows in a table without prefix indexes.
      const file = join(t.dir, 'keyword.db');
      const kw = new Database(file);
      kw.exec(`
        CREATE VIRTUAL TABLE fts_old USING fts5(text, id UNINDEXED, layer UNINDEXED, session_id UNINDEXED,
          tokenize = 'porter unicode61');
        INSERT INTO fts_old(rowid, text, id, layer, session_id) SELECT rowid, text, id, layer, session_id FROM fts_items;
        DROP TABLE fts_items;
        ALTER TABLE fts_old RENAME TO fts_items;
        INSERT INTO fts_items(fts_items, rank) VALUES ('secure-delete', 1);
        PRAGMA user_version = 2;
      `);
      const rows = () => kw.prepare('SELECT rowid, text, id, layer, session_id FROM fts_items ORDER BY rowid').all();
      const before = rows();
      expect(before).toHaveLength(TEXTS.length);
      expect(kw.prepare("SELECT sql FROM sqlite_schema WHERE name = 'fts_items'").pluck().get()).not.toContain(
        'prefix',
      );
      kw.close();

      const e = await Engine.open({ dataDir: t.dir, embedder: 'hashing', layers: false, chunking: { shortTokens: 0 } });
      try {
        expect((await e.suggest({ text: 'support gro' })).hits.map((h) => h.text)).toEqual([said(TEXTS[0])]);
        expect((await e.suggest({ text: 'res' })).hits.map((h) => h.text)).toEqual([said(TEXTS[6])]);
        // The migrated table takes new rows as before.
        await e.addMessages('s1', [
          { id: 'o:new', role: 'user', text: 'A restful Sunday.', timestamp: Date.UTC(2023, 5, 1) },
        ]);
        await e.flush();
        expect((await e.suggest({ text: 'res' })).hits.map((h) => h.text)).toEqual([
          said('A restful Sunday.'),
          said(TEXTS[6]),
        ]);
      } finally {
        await e.close();
      }
      const after = new Database(file, { readonly: true });
      expect(after.pragma('user_version', { simple: true })).toBe(3);
      expect(after.prepare("SELECT sql FROM sqlite_schema WHERE name = 'fts_items'").pluck().get()).toContain(
        "prefix = '2 3 4'",
      );
      const kept = after
        .prepare('SELECT rowid, text, id, layer, session_id FROM fts_items WHERE id != ? ORDER BY rowid')
        .all('chunk:o:new');
      after.close();
      expect(kept).toEqual(before);
    } finally {
      t.cleanup();
    }
  });
});

describe("the suggest reader's own endpoint (browser mode: keystrokes answered without the main thread)", () => {
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    new Promise<{
      status: number;
      headers: IncomingHttpHeaders;
      body: { ok: boolean; value?: SuggestResult; error?: { code: string; message: string } };
    }>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'Content-Type': 'text/plain', ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(typeof body === 'string' ? body : JSON.stringify(body));
    });

  it('answers what the engine answers, to a caller holding the key the engine handed out', async () => {
    const viaEngine = await engine.suggest({ text: 'support gro', direct: true });
    const direct = viaEngine.direct;
    expect(direct?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/suggest$/);
    expect(direct?.key).toMatch(/^[0-9a-f]{64}$/);
    if (!direct) throw new Error('no endpoint');
    // One endpoint per engine: asking again names the same one.
    expect((await engine.suggest({ text: 'x', direct: true })).direct).toEqual(direct);
    // Without `direct` (Electron's IPC) no endpoint is named.
    expect((await engine.suggest({ text: 'x' })).direct).toBeUndefined();

    const r = await post(
      direct.url,
      { key: direct.key, input: { text: 'support gro' } },
      { Origin: 'http://127.0.0.1:5174' },
    );
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('http://127.0.0.1:5174');
    const { tookMs: _a, direct: _d, ...expected } = viaEngine;
    const { tookMs: _b, ...got } = r.body.value as SuggestResult;
    expect(got).toEqual(expected);
    expect(got.hits.map((h) => h.text)).toEqual([said(TEXTS[0])]);
    const ents = await post(direct.url, { key: direct.key, input: { text: 'Car', limit: 1 } });
    expect(ents.body.value?.entities).toEqual([{ id: 'entity:carl', name: 'Carl' }]);
  });

  it('refuses a wrong key, another site, another Host and bad input, each with a typed error', async () => {
    const direct = (await engine.suggest({ text: 'a', direct: true })).direct;
    if (!direct) throw new Error('no endpoint');
    const wrong = await post(direct.url, { key: 'f'.repeat(64), input: { text: 'support' } });
    expect(wrong).toMatchObject({ status: 401, body: { ok: false, error: { code: 'UNAUTHORIZED' } } });
    expect(wrong.body.error?.message).toMatch(/^key:/);
    const site = await post(
      direct.url,
      { key: direct.key, input: { text: 'support' } },
      { Origin: 'https://evil.example' },
    );
    expect(site).toMatchObject({ status: 403, body: { error: { code: 'UNAUTHORIZED' } } });
    expect(site.headers['access-control-allow-origin']).toBeUndefined();
    const host = await post(direct.url, { key: direct.key, input: { text: 'support' } }, { Host: 'evil.example' });
    expect(host).toMatchObject({ status: 403, body: { error: { code: 'UNAUTHORIZED' } } });
    const long = await post(direct.url, { key: direct.key, input: { text: 'x'.repeat(201) } });
    expect(long).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT' } } });
    expect(long.body.error?.message).toMatch(/^input\.text:/);
    const junk = await post(direct.url, 'not json');
    expect(junk).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT' } } });
    // The reader still answers after the refusals.
    const ok = await post(direct.url, { key: direct.key, input: { text: 'pot' } });
    expect(ok.body.value?.hits.map((h) => h.text)).toEqual([said(TEXTS[2])]);
  });
});

describe('the endpoint under a burst of keystrokes', () => {
  it('reads only the newest of the calls waiting together; each answer is for its own text or superseded', async () => {
    const direct = (await engine.suggest({ text: '', direct: true })).direct;
    if (!direct) throw new Error('no endpoint');
    const texts = ['p', 'po', 'pot', 'pott', 'potte', 'potter', 'pottery'];
    const answers = await Promise.all(
      texts.map(async (text) => {
        const res = await fetch(direct.url, {
          method: 'POST',
          headers: { 'Content-Type': 'text/plain' },
          body: JSON.stringify({ key: direct.key, input: { text } }),
        });
        return ((await res.json()) as { value: SuggestResult }).value;
      }),
    );
    expect(answers.map((a) => a.text)).toEqual(texts);
    const last = answers.at(-1);
    expect(last?.superseded).toBe(false);
    expect(last?.hits.map((h) => h.text)).toEqual([said(TEXTS[2])]);
    for (const a of answers) {
      if (a.superseded) expect(a.hits).toEqual([]);
      else if (a.text.length >= 3) expect(a.hits.map((h) => h.text)).toEqual([said(TEXTS[2])]);
    }
  });
});
