/**
 * One op builder: the op a live write sends its stores is the op catch-up replays from the outbox, and stores fed
 * live, fed by replay, and rebuilt from the journal's contents hold identical rows, graph edges included. Runs the
 * real journal and store code on real SQLite files (in this thread, so the live op can be compared as it is made),
 * then the manager end to end: a directory's store files deleted and rebuilt on open hold what live writes gave them.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStores, tempDir } from '../../../../test/support/fixtures';
import { rng } from '../../../shared/rng';
import { STORE_NAMES, type StoreName } from '../../../shared/types';
import type {
  AppendParams,
  CoreMethods,
  DecisionRow,
  Handlers,
  JournalOp,
  StoreMethods,
  StoreOp,
} from '../workers/protocol';
import { createGraphStore } from './graph.store';
import { createJournal } from './journal';
import { createKeywordStore } from './keyword.store';
import { StorageManager, type WriteBatch } from './manager';
import { FILES, MIGRATIONS, PAGE_SIZE } from './migrations';
import { type DB, migrate, openDatabase } from './sqlite';
import { label, sliceOp } from './store-op';
import { createVectorStore } from './vector.store';

const DIM = 8;
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function open(dir: string, role: keyof typeof FILES): DB {
  const file = join(dir, FILES[role]);
  const db = openDatabase(file, {
    readonly: false,
    busyTimeoutMs: 1_000,
    pageSize: PAGE_SIZE[role],
    loadVec: role === 'vector',
    synchronous: 'NORMAL',
  });
  migrate(db, file, MIGRATIONS[role], { dim: DIM });
  return db;
}

/** A data directory's four files, opened in this thread with the real journal and store code. */
function directory(): { dir: string; core: Handlers<CoreMethods>; stores: Record<StoreName, Handlers<StoreMethods>> } {
  const t = tempDir('strata-op-');
  const dbs = { core: open(t.dir, 'core'), vector: open(t.dir, 'vector'), keyword: open(t.dir, 'keyword') };
  const graph = open(t.dir, 'graph');
  const core = createJournal(dbs.core, DIM, 100, `vectors-${DIM}`);
  const stores = {
    vector: createVectorStore(dbs.vector, DIM),
    keyword: createKeywordStore(dbs.keyword),
    graph: createGraphStore(graph),
  };
  cleanups.push(t.cleanup);
  cleanups.push(() => {
    // The vector store's own close stops its IVF maintenance timers, which would otherwise fire on a closed file.
    if (dbs.vector.open) stores.vector.close({});
    for (const db of [dbs.core, dbs.vector, dbs.keyword, graph]) if (db.open) db.close();
  });
  return { dir: t.dir, core, stores };
}

function vectors(n: number, salt: number): Float32Array {
  const v = new Float32Array(n * DIM);
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(i * 0.7 + salt);
  return v;
}

type Item = AppendParams['items'][number];
const item = (id: string, layer: Item['layer'], kind: string, text: string, sessionId: string | null = 's1'): Item => ({
  id,
  layer,
  kind,
  sessionId,
  text,
  data: null,
  validFrom: null,
  validTo: null,
});

const session = (id: string, title: string) => ({
  id,
  title,
  participants: ['Ann', 'Bob'],
  startedAt: 0,
  userId: null,
  agentId: null,
  createdAt: 1,
});

const message = (id: string, sessionId: string, text: string) => ({
  id,
  sessionId,
  role: 'user',
  speaker: 'Ann',
  text,
  timestamp: 1_700_000_000_000,
  externalId: null,
  metadata: null,
});

let writeNo = 0;
function append(p: Partial<AppendParams> & { items: Item[] }, salt: number): AppendParams {
  return {
    writeId: `w${++writeNo}`,
    sessions: [],
    messages: [],
    decisions: [],
    links: [],
    requireSessions: [],
    stores: [...STORE_NAMES],
    vectors: vectors(p.items.length, salt),
    ...p,
  };
}

const decision = (episodeId: string, factId: string, candidate: string): DecisionRow => ({
  episodeId,
  sessionId: 's1',
  candidate,
  action: 'add',
  factId,
  targetId: null,
  reason: 'new',
});

/** The journal's writes, in order: M0 with sessions and messages, M1 episodes, M2 facts and entities, updates, deletes. */
function script(): ((c: Handlers<CoreMethods>) => { seq: number; op: StoreOp })[] {
  const m0 = (from: number, n: number, withSession: boolean) => (c: Handlers<CoreMethods>) => {
    const ids = Array.from({ length: n }, (_, i) => from + i);
    const sessionOf = (i: number) => (i < 20 && i % 3 === 2 ? 's2' : 's1');
    return c.append(
      append(
        {
          sessions: withSession ? [session('s1', 'Painting club'), session('s2', 'Trip')] : [],
          messages: ids.map((i) => message(`m${i}`, sessionOf(i), `Ann said thing number ${i}`)),
          items: ids.map((i) => item(`chunk:m${i}`, 'm0', 'chunk', `Ann said thing number ${i}`, sessionOf(i))),
          links: ids.map((i) => ({ src: `chunk:m${i}`, dst: `m${i}`, kind: 'derived_from' })),
          requireSessions: ['s1'],
        },
        from,
      ),
    );
  };
  return [
    m0(0, 6, true),
    m0(6, 4, false),
    // M1: an episode over the first chunks of s1.
    (c) =>
      c.append(
        append(
          {
            items: [item('episode:s1:0', 'm1', 'episode', 'Ann talks about things 0 to 3')],
            links: ['chunk:m0', 'chunk:m1', 'chunk:m3'].map((dst) => ({
              src: 'episode:s1:0',
              dst,
              kind: 'derived_from',
            })),
          },
          100,
        ),
      ),
    // M2: facts from the episode, entities, their mention edges, and the decisions that made them.
    (c) =>
      c.append(
        append(
          {
            items: [
              item('fact:1', 'm2', 'fact', 'Ann likes painting'),
              item('fact:2', 'm2', 'fact', 'Ann visited Lisbon'),
              item('entity:ann', 'm2', 'entity', 'Ann', null),
            ],
            links: [
              { src: 'fact:1', dst: 'episode:s1:0', kind: 'derived_from' },
              { src: 'fact:2', dst: 'episode:s1:0', kind: 'derived_from' },
              { src: 'fact:1', dst: 'entity:ann', kind: 'about' },
              { src: 'fact:2', dst: 'entity:ann', kind: 'about' },
            ],
            decisions: [decision('episode:s1:0', 'fact:1', 'Ann likes painting')],
          },
          200,
        ),
      ),
    // M1 update: the episode re-cut with fewer chunks and a new summary (its outgoing edges shrink).
    (c) =>
      c.append(
        append(
          {
            items: [item('episode:s1:0', 'm1', 'episode', 'Ann talks about things 0 and 1')],
            links: ['chunk:m0', 'chunk:m1'].map((dst) => ({ src: 'episode:s1:0', dst, kind: 'derived_from' })),
          },
          300,
        ),
      ),
    // M2 update: a fact restated, its edges given out of order, one twice, and two whose order differs between
    // UTF-16 and SQLite's byte order (U+FFFD before U+1F600): the live op must sort and dedupe as the table does.
    (c) =>
      c.append(
        append(
          {
            items: [item('fact:2', 'm2', 'fact', 'Ann lived in Lisbon')],
            links: [
              { src: 'fact:2', dst: 'entity:\u{1F600}', kind: 'about' },
              { src: 'fact:2', dst: 'entity:ann', kind: 'about' },
              { src: 'fact:2', dst: 'entity:\uFFFD', kind: 'about' },
              { src: 'fact:2', dst: 'episode:s1:0', kind: 'derived_from' },
              { src: 'fact:2', dst: 'entity:ann', kind: 'about' },
            ],
          },
          400,
        ),
      ),
    // A keyword-only write: the other stores still move past its seq.
    (c) =>
      c.append(append({ items: [item('chunk:extra', 'm0', 'chunk', 'only for keywords')], stores: ['keyword'] }, 500)),
    // Deletes: a message in the middle of s1 (its chunk goes with it), a fact (its decision goes), a whole session.
    (c) => c.deleteMessages({ messageIds: ['m3'] }),
    (c) => c.deleteItems({ itemIds: ['fact:1'] }),
    (c) => c.deleteSession({ sessionId: 's2' }),
    m0(20, 3, false),
    // The bulk path: new sessions with their messages, no lookups of earlier messages.
    (c) =>
      c.append(
        append(
          {
            sessions: [session('s3', 'Bulk')],
            messages: ['b0', 'b1', 'b2'].map((id) => message(id, 's3', `bulk ${id}`)),
            items: ['b0', 'b1', 'b2'].map((id) => item(`chunk:${id}`, 'm0', 'chunk', `Ann: bulk ${id}`, 's3')),
            links: ['b0', 'b1', 'b2'].map((id) => ({ src: `chunk:${id}`, dst: id, kind: 'derived_from' })),
            newSessions: true,
          },
          600,
        ),
      ),
  ];
}

function applyTo(stores: Record<StoreName, Handlers<StoreMethods>>, jop: JournalOp, prev: number): void {
  for (const s of STORE_NAMES) {
    const op: StoreOp = jop.stores.includes(s)
      ? { ...sliceOp(s, jop.op), prevSeq: prev }
      : { kind: 'upsert', seq: jop.seq, prevSeq: prev, items: [], vectors: null, nodes: [], links: [] };
    stores[s].apply({ op });
  }
}

describe('one op builder', () => {
  it('the bulk append refuses a stored session or a stored message id, naming it, and writes nothing', () => {
    const d = directory();
    d.core.append(append({ sessions: [session('s1', 'A')], messages: [message('m0', 's1', 'hi')], items: [] }, 1));
    const again = append({ sessions: [session('s1', 'again')], items: [], newSessions: true }, 2);
    expect(() => d.core.append(again)).toThrow(/^sessions\[0\]\.id: a session "s1" already exists/);
    const dup = append(
      {
        sessions: [session('s9', 'New')],
        messages: [message('x', 's9', 'a'), message('m0', 's9', 'dup')],
        items: [item('chunk:x', 'm0', 'chunk', 'a', 's9')],
        newSessions: true,
      },
      3,
    );
    expect(() => d.core.append(dup)).toThrow(/^messages\[1\]\.id: a message "m0" already exists/);
    // Nothing of either write is in the journal: its seq did not move, s9 and its chunk are not there.
    expect(d.core.open({}).journalSeq).toBe(1);
    const page = d.core.readSnapshot({ cursor: null, maxRows: 100 });
    expect(page.op.kind === 'upsert' && page.op.nodes.map((n) => [n.id, n.label])).toEqual([['s1', 'A']]);
    expect(d.core.itemCounts({})).toMatchObject({ items: 0 });
  });

  it('a live op equals its replay, and live, replayed and rebuilt stores hold identical rows', () => {
    const live = directory();
    const steps = script();
    const liveOps: JournalOp[] = [];
    let prev = 0;
    for (const step of steps) {
      const { seq, op } = step(live.core);
      // The op as catch-up would read it from the outbox right now is the op the live write produced.
      const replayed = live.core.readOps({ afterSeq: seq - 1, maxRows: 10_000 })[0];
      expect(replayed?.seq).toBe(seq);
      expect(replayed?.op).toEqual(op);
      const jop = { seq, stores: replayed?.stores ?? [...STORE_NAMES], op };
      liveOps.push(jop);
      applyTo(live.stores, jop, prev);
      prev = seq;
    }
    expect(liveOps.some((j) => j.op.kind === 'delete')).toBe(true);

    // Replay: fresh stores fed every op from the outbox, after all the writes (rows as the journal holds them now).
    const replay = directory();
    const ops = live.core.readOps({ afterSeq: 0, maxRows: 1_000_000 });
    expect(ops.map((o) => o.seq)).toEqual(liveOps.map((o) => o.seq));
    prev = 0;
    for (const jop of ops) {
      applyTo(replay.stores, jop, prev);
      prev = jop.seq;
    }

    // Rebuild: fresh stores loaded page by page from the journal's contents.
    const rebuilt = directory();
    for (const s of STORE_NAMES) {
      rebuilt.stores[s].reset({});
      let cursor = null;
      do {
        const page = live.core.readSnapshot({ cursor, maxRows: 3 });
        rebuilt.stores[s].load({ op: sliceOp(s, page.op) });
        cursor = page.next;
      } while (cursor);
    }

    for (const d of [live, replay, rebuilt]) {
      for (const s of STORE_NAMES) d.stores[s].checkpoint({});
    }
    const storesOf = (dir: string) => {
      const { vector, keyword, nodes, edges } = readStores(dir);
      return { vector, keyword, nodes, edges };
    };
    const a = storesOf(live.dir);
    // A message's session and order are not edges (its row's session id and seq answer them).
    expect(a.edges.filter((e) => e.kind === 'next' || e.kind === 'in_session')).toEqual([]);
    expect(a.edges.filter((e) => e.src === 'm3' || e.dst === 'm3')).toEqual([]);
    expect(a.nodes.map((n) => n.id)).not.toContain('fact:1');
    expect(a.edges).toContainEqual({ src: 'episode:s1:0', dst: 'chunk:m0', kind: 'derived_from' });
    expect(a.edges).not.toContainEqual({ src: 'episode:s1:0', dst: 'chunk:m3', kind: 'derived_from' });
    expect(a.nodes.find((n) => n.id === 'fact:2')?.label).toBe('Ann lived in Lisbon');
    expect(a.nodes.map((n) => n.id)).not.toContain('chunk:m3');
    expect(a.nodes.map((n) => n.id)).not.toContain('s2');
    expect(a.keyword.map((k) => k.id)).toContain('chunk:extra');
    expect(a.vector.map((v) => v.id)).not.toContain('chunk:extra');
    expect(storesOf(replay.dir)).toEqual(a);
    // A rebuild has no per-op targets: it indexes what the journal holds, the keyword-only item included everywhere.
    const b = storesOf(rebuilt.dir);
    const extra = (r: { id: string }) => r.id !== 'chunk:extra';
    expect({ ...b, vector: b.vector.filter(extra), nodes: b.nodes.filter(extra) }).toEqual(a);
  });
});

describe('node labels', () => {
  it('are the text with white space runs made one space, cut at 120 with an ellipsis (seeded random texts)', () => {
    const next = rng(20261201);
    const parts = [
      'a',
      'word',
      ' ',
      '  ',
      '\t',
      '\n',
      '\r\n',
      'é',
      '\u3000',
      '😀',
      '\u00a0',
      '\u2028',
      '\ufeff',
      'x y',
    ];
    const slow = (line: string) => {
      const flat = line.replace(/\s+/g, ' ');
      return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
    };
    for (let i = 0; i < 5_000; i++) {
      let t = '';
      const n = Math.floor(next() * 400);
      for (let j = 0; j < n; j++) t += parts[Math.floor(next() * parts.length)];
      expect(label(t)).toBe(slow(t));
    }
    expect(label(`${'a '.repeat(100)}`)).toHaveLength(120);
    expect(label(' \t lead and trail \n ')).toBe(' lead and trail ');
  });
});

describe('live writes and a rebuild on open agree (manager, real workers)', () => {
  it('store files deleted while closed are rebuilt on open with exactly the rows live writes gave them', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const m = await StorageManager.open({ dataDir: t.dir, dim: DIM });
    const texts = ['Ann paints', 'Bob sails', 'Ann moved to Lisbon', 'Bob has a dog'];
    const batch: WriteBatch = {
      sessions: [session('s1', 'Club')],
      messages: texts.map((text, i) => message(`m${i}`, 's1', text)),
      items: texts.map((text, i) => ({
        id: `chunk:m${i}`,
        layer: 'm0' as const,
        kind: 'chunk',
        sessionId: 's1',
        text,
        sources: [`m${i}`],
      })),
      vectors: vectors(texts.length, 1),
      requireSessions: ['s1'],
    };
    await m.writeToAll(batch);
    await m.writeToAll({
      items: [
        {
          id: 'episode:s1:0',
          layer: 'm1',
          kind: 'episode',
          sessionId: 's1',
          text: 'Ann and Bob',
          sources: ['chunk:m0'],
        },
      ],
      vectors: vectors(1, 2),
    });
    await m.deleteMessages(['m2']);
    await m.close();
    const before = readStores(t.dir);
    expect(before.edges.filter((e) => e.kind === 'next' || e.kind === 'in_session')).toEqual([]);
    expect(before.edges).toContainEqual({ src: 'episode:s1:0', dst: 'chunk:m0', kind: 'derived_from' });
    expect(before.nodes.map((n) => n.id)).not.toContain('m2');
    for (const f of ['vector.db', 'keyword.db', 'graph.db']) rmSync(join(t.dir, f));
    const again = await StorageManager.open({ dataDir: t.dir, dim: DIM });
    // Replayed from the outbox, or rebuilt from the journal's contents if idle maintenance had pruned it: either way,
    // the rows live writes made.
    expect(again.status().stores.every((s) => s.healthy && s.pendingOps === 0)).toBe(true);
    await again.close();
    expect(readStores(t.dir)).toEqual(before);
  });
});
