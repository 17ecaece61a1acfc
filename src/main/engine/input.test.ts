/**
 * Bad input at the engine's edge and at the storage manager: every refusal is a
 * typed StrataError whose message starts with the offending field's path, and
 * nothing at all reaches the journal or any store (counts, ids, journal seq and
 * store health are identical before and after). A good write afterwards lands
 * in every store with identical ids.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ErrorCode, StrataError } from '../../shared/errors';
import { MAX_MESSAGE_CHARS, MAX_MESSAGES_PER_CALL, type MessageInput } from '../../shared/schema';
import type { Layer, Session, StoreName } from '../../shared/types';
import { Engine } from './engine';
import type { WriteBatch } from './storage/manager';
import type { ItemInput } from './storage/validate';
import type { StoreCounts } from './workers/protocol';

const DIM = 512;
const ALL = ['core', 'vector', 'keyword', 'graph'] as const;
type AnyStore = (typeof ALL)[number];

let dataDir = '';
let engine: Engine;
let session: Session;
let otherSession: Session;

interface Snapshot {
  journalSeq: number;
  counts: Record<AnyStore, StoreCounts>;
  ids: Record<AnyStore, string[]>;
  sessions: string[];
  messages: Record<string, string[]>;
  stores: { store: StoreName; appliedSeq: number; healthy: boolean; pendingOps: number; failures: number }[];
}

/** Everything a refused call could have touched: journal, every store, and the manager's own bookkeeping. */
async function snapshot(): Promise<Snapshot> {
  const counts = {} as Record<AnyStore, StoreCounts>;
  const ids = {} as Record<AnyStore, string[]>;
  for (const s of ALL) {
    counts[s] = await engine.storage.storeCounts(s);
    ids[s] = await engine.storage.storeIds(s);
  }
  const sessions = (await engine.listSessions()).map((s) => s.id).sort();
  const messages: Record<string, string[]> = {};
  for (const sid of sessions) messages[sid] = (await engine.listMessages(sid)).map((m) => m.id);
  const status = engine.status();
  return {
    journalSeq: status.journalSeq,
    counts,
    ids,
    sessions,
    messages,
    stores: status.stores.map(({ store, appliedSeq, healthy, pendingOps, failures }) => ({
      store,
      appliedSeq,
      healthy,
      pendingOps,
      failures,
    })),
  };
}

/** Runs the call and returns what it was refused with; a call that succeeds fails the test. */
async function refusal(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

interface Case {
  name: string;
  code: ErrorCode;
  /** The field path the message must start with (and `details.field` must equal). */
  field: string;
  /** Further text the message must contain. */
  contains?: string;
  run: () => Promise<unknown>;
}

function expectRefused(err: unknown, c: Pick<Case, 'code' | 'field' | 'contains'>): void {
  expect(err).toBeInstanceOf(StrataError);
  const e = err as StrataError;
  expect({ code: e.code, prefix: e.message.slice(0, c.field.length + 1) }).toEqual({
    code: c.code,
    prefix: `${c.field}:`,
  });
  expect(e.details?.field).toBe(c.field);
  if (c.contains !== undefined) expect(e.message).toContain(c.contains);
}

async function runCase(c: Case): Promise<void> {
  const before = await snapshot();
  const err = await refusal(c.run);
  // Nothing written is checked first, so a wrong error code still shows whether the refusal left anything behind.
  await engine.storage.settle();
  expect(await snapshot()).toEqual(before);
  expectRefused(err, c);
}

const add = (messages: unknown, sessionId: unknown = session.id) =>
  engine.addMessages(sessionId as string, messages as MessageInput[]);

/** A valid storage batch of `n` m1 facts derived from the seed message. */
async function factBatch(prefix: string, n = 2): Promise<WriteBatch & { items: ItemInput[] }> {
  const items: ItemInput[] = Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    layer: 'm1' as Layer,
    kind: 'fact',
    sessionId: session.id,
    text: `fact ${i} of ${prefix}: the seed message mentions a lighthouse`,
    sources: ['seed-1'],
  }));
  return { items, vectors: await engine.embedder.embed(items.map((it) => it.text)), kind: 'test.facts' };
}

async function badBatch(mutate: (b: WriteBatch & { items: ItemInput[] }) => WriteBatch): Promise<WriteBatch> {
  return mutate(await factBatch('bad'));
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-input-'));
  // Input checks on a plain M0 engine: one chunk per message, no background layers changing the counts.
  engine = await Engine.open({ dataDir, layers: false, chunking: { shortTokens: 0 } });
  expect(engine.embedder.dim).toBe(DIM);
  session = await engine.createSession({ id: 'session-a', title: 'Input tests' });
  otherSession = await engine.createSession({ id: 'session-b', title: 'Another session' });
  const seeded = await engine.addMessages(session.id, [
    { id: 'seed-1', text: 'The lighthouse keeper logs every ship.' },
    { id: 'seed-2', role: 'assistant', text: 'Noted: the keeper logs ships.' },
  ]);
  expect(seeded.messageIds).toEqual(['seed-1', 'seed-2']);
  await engine.addMessages(otherSession.id, [{ id: 'other-1', text: 'A message in the other session.' }]);
  const s = await snapshot();
  expect(s.counts.core).toEqual({ rows: 3, ids: 3 });
  expect(s.ids.vector).toEqual(s.ids.core);
  expect(s.ids.keyword).toEqual(s.ids.core);
  expect(s.ids.graph).toEqual(s.ids.core);
});

afterAll(async () => {
  await engine?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;

const engineCases: Case[] = [
  {
    name: 'message missing text',
    code: 'INVALID_INPUT',
    field: 'messages[0].text',
    contains: 'required',
    run: () => add([{}]),
  },
  { name: 'text is a number', code: 'INVALID_INPUT', field: 'messages[0].text', run: () => add([{ text: 42 }]) },
  { name: 'text is null', code: 'INVALID_INPUT', field: 'messages[0].text', run: () => add([{ text: null }]) },
  {
    name: 'empty text',
    code: 'INVALID_INPUT',
    field: 'messages[0].text',
    contains: 'empty',
    run: () => add([{ text: '' }]),
  },
  {
    name: 'whitespace-only text',
    code: 'INVALID_INPUT',
    field: 'messages[0].text',
    contains: 'empty',
    run: () => add([{ text: ' \n\t  ' }]),
  },
  {
    name: 'oversize text (one over MAX_MESSAGE_CHARS)',
    code: 'INVALID_INPUT',
    field: 'messages[0].text',
    contains: String(MAX_MESSAGE_CHARS),
    run: () => add([{ text: 'x'.repeat(MAX_MESSAGE_CHARS + 1) }]),
  },
  {
    name: 'bad text in the second message refuses the whole call',
    code: 'INVALID_INPUT',
    field: 'messages[1].text',
    run: () => add([{ id: 'would-be-written', text: 'fine' }, { text: '   ' }]),
  },
  {
    name: 'unknown session id',
    code: 'UNKNOWN_SESSION',
    field: 'sessionId',
    contains: 'no-such-session',
    run: () => add([{ text: 'hello' }], 'no-such-session'),
  },
  { name: 'empty session id', code: 'INVALID_INPUT', field: 'sessionId', run: () => add([{ text: 'hello' }], '') },
  { name: 'session id is a number', code: 'INVALID_INPUT', field: 'sessionId', run: () => add([{ text: 'hi' }], 7) },
  {
    name: 'speaker is a number',
    code: 'INVALID_INPUT',
    field: 'messages[0].speaker',
    run: () => add([{ text: 'hi', speaker: 3 }]),
  },
  {
    name: 'speaker is empty',
    code: 'INVALID_INPUT',
    field: 'messages[0].speaker',
    run: () => add([{ text: 'hi', speaker: '' }]),
  },
  {
    name: 'role not in the enum',
    code: 'INVALID_INPUT',
    field: 'messages[0].role',
    run: () => add([{ text: 'hi', role: 'robot' }]),
  },
  {
    name: 'timestamp is a boolean',
    code: 'INVALID_INPUT',
    field: 'messages[0].timestamp',
    run: () => add([{ text: 'hi', timestamp: true }]),
  },
  {
    name: 'timestamp is an unparseable string',
    code: 'INVALID_INPUT',
    field: 'messages[0].timestamp',
    contains: 'date',
    run: () => add([{ text: 'hi', timestamp: 'next tuesday-ish' }]),
  },
  {
    name: 'timestamp is negative',
    code: 'INVALID_INPUT',
    field: 'messages[0].timestamp',
    run: () => add([{ text: 'hi', timestamp: -5 }]),
  },
  {
    name: 'timestamp is NaN',
    code: 'INVALID_INPUT',
    field: 'messages[0].timestamp',
    run: () => add([{ text: 'hi', timestamp: Number.NaN }]),
  },
  {
    name: 'metadata is a string',
    code: 'INVALID_INPUT',
    field: 'messages[0].metadata',
    run: () => add([{ text: 'hi', metadata: 'tag=1' }]),
  },
  {
    name: 'metadata is an array',
    code: 'INVALID_INPUT',
    field: 'messages[0].metadata',
    run: () => add([{ text: 'hi', metadata: [1, 2] }]),
  },
  {
    name: 'metadata holding a BigInt (not JSON)',
    code: 'INVALID_INPUT',
    field: 'messages[0].metadata',
    run: () => add([{ text: 'hi', metadata: { n: 10n } }]),
  },
  {
    name: 'metadata holding a function (not JSON, not cloneable)',
    code: 'INVALID_INPUT',
    field: 'messages[0].metadata',
    run: () => add([{ text: 'hi', metadata: { f: () => 1 } }]),
  },
  {
    name: 'circular metadata',
    code: 'INVALID_INPUT',
    field: 'messages[0].metadata',
    run: () => add([{ text: 'hi', metadata: circular }]),
  },
  {
    name: 'unknown extra field',
    code: 'INVALID_INPUT',
    field: 'messages[0].colour',
    contains: '"colour"',
    run: () => add([{ text: 'hi', colour: 'blue' }]),
  },
  {
    name: 'empty message id',
    code: 'INVALID_INPUT',
    field: 'messages[0].id',
    run: () => add([{ id: '', text: 'hi' }]),
  },
  {
    name: 'message id is a number',
    code: 'INVALID_INPUT',
    field: 'messages[0].id',
    run: () => add([{ id: 9, text: 'hi' }]),
  },
  { name: 'messages is not an array', code: 'INVALID_INPUT', field: 'messages', run: () => add({ text: 'hi' }) },
  { name: 'messages is null', code: 'INVALID_INPUT', field: 'messages', run: () => add(null) },
  { name: 'empty messages array', code: 'INVALID_INPUT', field: 'messages', run: () => add([]) },
  {
    name: 'more than MAX_MESSAGES_PER_CALL messages',
    code: 'INVALID_INPUT',
    field: 'messages',
    run: () => add(Array.from({ length: MAX_MESSAGES_PER_CALL + 1 }, (_, i) => ({ text: `m${i}` }))),
  },
  {
    name: 'duplicate message ids in one call',
    code: 'INVALID_INPUT',
    field: 'messages[2].id',
    contains: 'dup-1',
    run: () =>
      add([
        { id: 'dup-1', text: 'first' },
        { id: 'dup-2', text: 'second' },
        { id: 'dup-1', text: 'third' },
      ]),
  },
  {
    name: 'a message id that already exists (after a fresh one in the same call)',
    code: 'INVALID_INPUT',
    field: 'messages[1].id',
    contains: 'seed-2',
    run: () =>
      add([
        { id: 'fresh-1', text: 'this one is new' },
        { id: 'seed-2', text: 'this id is taken' },
      ]),
  },
  {
    name: 'a message id that already exists in another session',
    code: 'INVALID_INPUT',
    field: 'messages[0].id',
    contains: 'other-1',
    run: () => add([{ id: 'other-1', text: 'taken elsewhere' }]),
  },
  {
    name: 'createSession with a title of the wrong type',
    code: 'INVALID_INPUT',
    field: 'session.title',
    run: () => engine.createSession({ id: 'never-created', title: 5 as unknown as string }),
  },
  {
    name: 'createSession with an unparseable startedAt',
    code: 'INVALID_INPUT',
    field: 'session.startedAt',
    run: () => engine.createSession({ id: 'never-created', startedAt: 'someday' }),
  },
];

const storageCases: Case[] = [
  {
    name: 'vectors of the wrong dimension',
    code: 'DIMENSION_MISMATCH',
    field: 'vectors',
    contains: `${DIM}`,
    run: async () => {
      const b = await factBatch('dim');
      return engine.storage.writeToAll({ ...b, vectors: new Float32Array(b.items.length * 256).fill(0.5) });
    },
  },
  {
    name: 'one vector row too many',
    code: 'DIMENSION_MISMATCH',
    field: 'vectors',
    run: async () => {
      const b = await factBatch('rows');
      return engine.storage.writeToAll({ ...b, vectors: new Float32Array((b.items.length + 1) * DIM).fill(0.5) });
    },
  },
  {
    name: 'NaN inside vectors',
    code: 'INVALID_INPUT',
    field: 'vectors[1][7]',
    contains: 'NaN',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => {
          b.vectors[DIM + 7] = Number.NaN;
          return b;
        }),
      ),
  },
  {
    name: 'Infinity inside vectors',
    code: 'INVALID_INPUT',
    field: 'vectors[0][3]',
    contains: 'Infinity',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => {
          b.vectors[3] = Number.POSITIVE_INFINITY;
          return b;
        }),
      ),
  },
  {
    name: '-Infinity inside vectors',
    code: 'INVALID_INPUT',
    field: 'vectors[1][511]',
    contains: 'Infinity',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => {
          b.vectors[2 * DIM - 1] = Number.NEGATIVE_INFINITY;
          return b;
        }),
      ),
  },
  {
    name: 'an all-zero vector row',
    code: 'INVALID_INPUT',
    field: 'vectors[1]',
    contains: 'zero',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => {
          b.vectors.fill(0, DIM, 2 * DIM);
          return b;
        }),
      ),
  },
  {
    name: 'vectors as a plain array',
    code: 'INVALID_INPUT',
    field: 'vectors',
    contains: 'Float32Array',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => ({ ...b, vectors: Array.from(b.vectors) as unknown as Float32Array })),
      ),
  },
  {
    name: 'vectors as a Float64Array',
    code: 'INVALID_INPUT',
    field: 'vectors',
    contains: 'Float32Array',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => ({ ...b, vectors: new Float64Array(b.vectors) as unknown as Float32Array })),
      ),
  },
  {
    name: 'bad layer',
    code: 'INVALID_INPUT',
    field: 'items[1].layer',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => {
          (b.items[1] as ItemInput).layer = 'm9' as Layer;
          return b;
        }),
      ),
  },
  {
    name: 'duplicate item ids',
    code: 'INVALID_INPUT',
    field: 'items[1].id',
    contains: 'bad-0',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => {
          (b.items[1] as ItemInput).id = 'bad-0';
          return b;
        }),
      ),
  },
  {
    name: 'empty item id',
    code: 'INVALID_INPUT',
    field: 'items[0].id',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => {
          (b.items[0] as ItemInput).id = '';
          return b;
        }),
      ),
  },
  {
    name: 'item text missing',
    code: 'INVALID_INPUT',
    field: 'items[1].text',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => {
          (b.items[1] as unknown as Record<string, unknown>).text = undefined;
          return b;
        }),
      ),
  },
  {
    name: 'item kind empty',
    code: 'INVALID_INPUT',
    field: 'items[0].kind',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => {
          (b.items[0] as ItemInput).kind = '';
          return b;
        }),
      ),
  },
  {
    name: 'item source not a string id',
    code: 'INVALID_INPUT',
    field: 'items[0].sources[0]',
    run: async () =>
      engine.storage.writeToAll(
        await badBatch((b) => {
          (b.items[0] as ItemInput).sources = [17 as unknown as string];
          return b;
        }),
      ),
  },
  {
    name: 'items not an array',
    code: 'INVALID_INPUT',
    field: 'items',
    run: async () => engine.storage.writeToAll(await badBatch((b) => ({ ...b, items: {} as unknown as ItemInput[] }))),
  },
  {
    name: 'a required session that does not exist',
    code: 'UNKNOWN_SESSION',
    field: 'sessionId',
    contains: 'ghost-session',
    run: async () => engine.storage.writeToAll(await badBatch((b) => ({ ...b, requireSessions: ['ghost-session'] }))),
  },
  {
    name: "writeToStore('bogus', …)",
    code: 'INVALID_INPUT',
    field: 'store',
    contains: 'bogus',
    run: async () => engine.storage.writeToStore('bogus' as StoreName, await factBatch('bogus')),
  },
];

describe('engine input: refused with a typed error naming the field, nothing written', () => {
  for (const c of engineCases) {
    it(`${c.name} → ${c.code} at ${c.field}`, () => runCase(c));
  }
});

describe('storage batches: refused before the journal, nothing written', () => {
  for (const c of storageCases) {
    it(`${c.name} → ${c.code} at ${c.field}`, () => runCase(c));
  }
});

describe('good writes after the refusals', () => {
  it('a storage batch lands in the journal and every store with identical ids, at the next journal seq', async () => {
    const before = await snapshot();
    const batch = await factBatch('good', 3);
    const res = await engine.storage.writeToAll(batch);
    // No refused call consumed a journal seq.
    expect(res.seq).toBe(before.journalSeq + 1);
    // Graph rows are nodes: the three fact nodes (their provenance edges are counted below).
    expect(res.outcomes).toEqual({
      vector: { store: 'vector', status: 'ok', rows: 3 },
      keyword: { store: 'keyword', status: 'ok', rows: 3 },
      graph: { store: 'graph', status: 'ok', rows: 3 },
    });
    const after = await snapshot();
    expect(after.ids.core).toEqual([...before.ids.core, 'good-0', 'good-1', 'good-2'].sort());
    for (const s of ['vector', 'keyword', 'graph'] as const) expect(after.ids[s]).toEqual(after.ids.core);
    expect(after.counts.core).toEqual({ rows: before.counts.core.rows + 3, ids: before.counts.core.ids });
    expect(after.counts.vector.rows).toBe(after.counts.core.rows);
    // Provenance: each fact is linked to the seed message it was derived from.
    expect(after.counts.graph.edges).toBe((before.counts.graph.edges ?? 0) + 3);
    expect(after.stores.every((s) => s.healthy && s.pendingOps === 0 && s.failures === 0)).toBe(true);
  });

  it('addMessages lands every message in the journal and its chunk in every store', async () => {
    const before = await snapshot();
    const res = await engine.addMessages(session.id, [
      {
        id: 'good-msg-1',
        text: 'After all those refusals, this one is fine.',
        speaker: 'ana',
        timestamp: 1_700_000_000_000,
      },
      {
        id: 'good-msg-2',
        role: 'assistant',
        text: 'Agreed.',
        timestamp: '2024-05-01T10:00:00Z',
        metadata: { mood: 'ok' },
      },
    ]);
    expect(res.messageIds).toEqual(['good-msg-1', 'good-msg-2']);
    expect(res.seq).toBe(before.journalSeq + 1);
    // Graph rows are nodes: two message nodes and two chunk nodes.
    expect(res.outcomes).toEqual({
      vector: { store: 'vector', status: 'ok', rows: 2 },
      keyword: { store: 'keyword', status: 'ok', rows: 2 },
      graph: { store: 'graph', status: 'ok', rows: 4 },
    });
    const after = await snapshot();
    expect(after.messages[session.id]).toEqual([...(before.messages[session.id] ?? []), 'good-msg-1', 'good-msg-2']);
    expect(after.ids.core).toEqual([...before.ids.core, 'chunk:good-msg-1', 'chunk:good-msg-2'].sort());
    for (const s of ['vector', 'keyword', 'graph'] as const) expect(after.ids[s]).toEqual(after.ids.core);
    const listed = await engine.listMessages(session.id);
    const last = listed.slice(-2);
    expect(last.map((m) => [m.id, m.speaker, m.text, m.timestamp, m.metadata])).toEqual([
      ['good-msg-1', 'ana', 'After all those refusals, this one is fine.', 1_700_000_000_000, null],
      ['good-msg-2', 'assistant', 'Agreed.', Date.parse('2024-05-01T10:00:00Z'), { mood: 'ok' }],
    ]);
    // Message seqs stay gapless: no refused call took one.
    expect(listed.map((m) => m.seq)).toEqual(listed.map((_, i) => i + 1));
  });

  it('a message of exactly MAX_MESSAGE_CHARS characters is accepted and stored whole', async () => {
    const before = await snapshot();
    const text = `${'y'.repeat(MAX_MESSAGE_CHARS - 4)} end`;
    expect(text.length).toBe(MAX_MESSAGE_CHARS);
    const res = await engine.addMessages(session.id, [{ id: 'at-limit', text }]);
    expect(res.messageIds).toEqual(['at-limit']);
    const after = await snapshot();
    expect(after.ids.core).toEqual([...before.ids.core, 'chunk:at-limit'].sort());
    for (const s of ['vector', 'keyword', 'graph'] as const) expect(after.ids[s]).toEqual(after.ids.core);
    const stored = (await engine.listMessages(session.id)).find((m) => m.id === 'at-limit');
    expect(stored?.text).toBe(text);
  });
});
