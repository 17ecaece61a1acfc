import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../../test/support/fixtures';
import { type DB, migrate, openDatabase } from '../sqlite';
import { FILES, MIGRATIONS, PAGE_SIZE } from './index';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function fresh(role: keyof typeof FILES): { db: DB; file: string } {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const file = join(t.dir, FILES[role]);
  const db = openDatabase(file, {
    readonly: false,
    busyTimeoutMs: 100,
    pageSize: PAGE_SIZE[role],
    loadVec: role === 'vector',
    synchronous: 'NORMAL',
  });
  cleanups.push(() => db.close());
  return { db, file };
}

const objects = (db: DB) =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type IN ('table', 'index') ORDER BY name")
    .all()
    .map((r) => r.name);

describe('migrations', () => {
  it('core-0001-journal creates the journal tables, in WAL mode with 4 KiB pages (small commits write fewer bytes to fsync)', () => {
    const { db, file } = fresh('core');
    expect(migrate(db, file, MIGRATIONS.core.slice(0, 1), { dim: 8 })).toBe(1);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('page_size', { simple: true })).toBe(4096);
    expect(objects(db)).toEqual(
      expect.arrayContaining(['meta', 'sessions', 'messages', 'items', 'links', 'outbox', 'traces', 'links_dst']),
    );
  });

  it('core-0002-item-data adds item data, validity and the decisions table to a version-1 journal', () => {
    const { db, file } = fresh('core');
    migrate(db, file, MIGRATIONS.core.slice(0, 1), { dim: 8 });
    db.prepare(
      "INSERT INTO items(id, layer, kind, text, vector, journal_seq) VALUES ('a', 'm0', 'chunk', 't', x'00', 1)",
    ).run();
    expect(migrate(db, file, MIGRATIONS.core.slice(0, 2), { dim: 8 })).toBe(2);
    const cols = db
      .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
      .all('items')
      .map((c) => c.name);
    expect(cols).toEqual(expect.arrayContaining(['data', 'valid_from', 'valid_to']));
    expect(db.prepare("SELECT data, valid_from FROM items WHERE id = 'a'").get()).toEqual({
      data: null,
      valid_from: null,
    });
    expect(objects(db)).toEqual(expect.arrayContaining(['decisions', 'items_kind_session']));
    expect(() =>
      db
        .prepare(
          "INSERT INTO decisions(episode_id, session_id, candidate, action, reason, at) VALUES ('e', 's', 'c', 'merge', 'r', 0)",
        )
        .run(),
    ).toThrow(/CHECK constraint/);
  });

  it('core-0003-decision-links finds the decisions of a deleted episode or fact by index', () => {
    const { db, file } = fresh('core');
    expect(migrate(db, file, MIGRATIONS.core.slice(0, 3), { dim: 8 })).toBe(3);
    for (const [col, index] of [
      ['episode_id', 'decisions_episode'],
      ['fact_id', 'decisions_fact'],
      ['target_id', 'decisions_target'],
    ]) {
      const plan = db
        .prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN DELETE FROM decisions WHERE ${col} = 'x'`)
        .all()
        .map((r) => r.detail)
        .join(' ');
      expect(plan).toContain(index);
    }
  });

  it('new files zero what they delete and can give free pages back (secure_delete, incremental auto_vacuum)', () => {
    const { db } = fresh('graph');
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
  });

  it('vector-0001 and -0002 create a vec0 table of the given dimension, filterable by session during the scan', () => {
    const { db, file } = fresh('vector');
    migrate(db, file, MIGRATIONS.vector, { dim: 8 });
    const sql = db.prepare<[], { sql: string }>("SELECT sql FROM sqlite_schema WHERE name = 'vec_items'").get()?.sql;
    expect(sql).toContain('float[8]');
    expect(sql).toContain('distance_metric=cosine');
    const insert = db.prepare('INSERT INTO vec_items(rowid, layer, session_id, embedding) VALUES (?, ?, ?, ?)');
    const near = new Float32Array([1, 0.5, -1, 0, 0, 0, 0, 0]);
    const far = new Float32Array([-1, -0.5, 1, 0, 0, 0, 0, 0]);
    insert.run(1n, 'm0', 'a', near);
    insert.run(2n, 'm0', 'b', near);
    insert.run(3n, 'm0', 'a', far);
    expect(() => insert.run(4n, 'm0', 'a', new Float32Array(4))).toThrow(/Dimension mismatch/i);
    const knn = (session: string) =>
      db
        .prepare("SELECT rowid FROM vec_items WHERE embedding MATCH ? AND k = 3 AND layer = 'm0' AND session_id = ?")
        .pluck()
        .all(near, session);
    expect(knn('a')).toEqual([1, 3]);
    expect(knn('b')).toEqual([2]);
    expect(db.prepare("SELECT value FROM store_meta WHERE key = 'applied_seq'").pluck().get()).toBe('0');
  });

  it('keyword-0001-fts5 stems with porter and ranks with bm25', () => {
    const { db, file } = fresh('keyword');
    migrate(db, file, MIGRATIONS.keyword, { dim: 8 });
    const ins = db.prepare('INSERT INTO fts_items(rowid, text, id, layer, session_id) VALUES (?, ?, ?, ?, ?)');
    ins.run(1, 'Caroline went running every morning', 'a', 'm0', 's');
    ins.run(2, 'Melanie paints landscapes', 'b', 'm0', 's');
    const hits = db
      .prepare<[string], { id: string }>('SELECT id FROM fts_items WHERE fts_items MATCH ? ORDER BY bm25(fts_items)')
      .all('runs');
    expect(hits.map((h) => h.id)).toEqual(['a']);
  });

  it('keyword-0002-secure-delete turns on FTS5 secure-delete: a deleted row leaves no term in the index', () => {
    const { db, file } = fresh('keyword');
    expect(migrate(db, file, MIGRATIONS.keyword.slice(0, 1), { dim: 8 })).toBe(1);
    const ins = db.prepare('INSERT INTO fts_items(rowid, text, id, layer, session_id) VALUES (?, ?, ?, ?, ?)');
    ins.run(1, 'the code is zanzibarquux', 'a', 'm0', 's');
    expect(migrate(db, file, MIGRATIONS.keyword.slice(0, 2), { dim: 8 })).toBe(2);
    expect(db.prepare("SELECT v FROM fts_items_config WHERE k = 'secure-delete'").pluck().get()).toBe(1);
    ins.run(2, 'other words here', 'b', 'm0', 's');
    db.prepare('DELETE FROM fts_items WHERE rowid = 1').run();
    // Without secure-delete the term stays in the index segments (behind a delete marker) until a merge.
    const blocks = db.prepare<[], Buffer>('SELECT block FROM fts_items_data').pluck().all();
    expect(blocks.some((b) => Buffer.from(b).includes(Buffer.from('zanzibarquux')))).toBe(false);
    expect(blocks.some((b) => Buffer.from(b).includes(Buffer.from('other')))).toBe(true);
  });

  it('keyword-0003-prefix-index rebuilds the FTS5 table with prefix indexes, keeping every row, rowid and setting', () => {
    const { db, file } = fresh('keyword');
    migrate(db, file, MIGRATIONS.keyword.slice(0, 2), { dim: 8 });
    const ins = db.prepare('INSERT INTO fts_items(rowid, text, id, layer, session_id) VALUES (?, ?, ?, ?, ?)');
    const texts = ['We joined a support group', 'Supper was late', 'The group hike', 'Research on restaurants'];
    // Rowids with gaps, as deletes leave them: the journal's item rowids key the rows.
    for (const [i, t] of texts.entries())
      ins.run(10 * (i + 1), t, `chunk:${i}`, i % 2 ? 'm1' : 'm0', i === 3 ? null : 's1');
    const rows = () => db.prepare('SELECT rowid, text, id, layer, session_id FROM fts_items ORDER BY rowid').all();
    const before = rows();
    expect(migrate(db, file, MIGRATIONS.keyword.slice(0, 3), { dim: 8 })).toBe(3);
    expect(rows()).toEqual(before);
    // The old table's pages were given back, not left free in the file.
    expect(db.pragma('freelist_count', { simple: true })).toBe(0);
    const sql = db.prepare<[], string>("SELECT sql FROM sqlite_schema WHERE name = 'fts_items'").pluck().get();
    expect(sql).toContain("prefix = '2 3 4'");
    expect(sql).toContain("tokenize = 'porter unicode61'");
    // The shadow tables moved with the rename; nothing of the temporary name is left.
    expect(objects(db).filter((n) => n.includes('rebuilt'))).toEqual([]);
    expect(objects(db)).toEqual(expect.arrayContaining(['fts_items_data', 'fts_items_docsize', 'fts_items_config']));
    expect(db.prepare("SELECT v FROM fts_items_config WHERE k = 'secure-delete'").pluck().get()).toBe(1);
    const match = (q: string) =>
      db.prepare<[string], number>('SELECT rowid FROM fts_items WHERE fts_items MATCH ? ORDER BY rowid').pluck().all(q);
    expect(match('"sup"*')).toEqual([10, 20]);
    expect(match('"gro"*')).toEqual([10, 30]);
    expect(match('"support" "gro"*')).toEqual([10]);
    expect(match('"rest"*')).toEqual([40]);
    expect(match('group')).toEqual([10, 30]);
  });

  it('graph-0001-nodes-edges indexes edges both ways', () => {
    const { db, file } = fresh('graph');
    migrate(db, file, MIGRATIONS.graph.slice(0, 1), { dim: 8 });
    expect(objects(db)).toEqual(expect.arrayContaining(['nodes', 'edges', 'edges_dst', 'nodes_kind', 'nodes_session']));
    const plan = db
      .prepare<[], { detail: string }>("EXPLAIN QUERY PLAN SELECT src FROM edges WHERE dst = 'x' AND kind = 'next'")
      .all()
      .map((r) => r.detail)
      .join(' ');
    expect(plan).toContain('edges_dst');
  });

  it('core-0004-audit adds the audit log to a version-3 journal, keeping its rows, and refuses an unknown action', () => {
    const { db, file } = fresh('core');
    migrate(db, file, MIGRATIONS.core.slice(0, 3), { dim: 8 });
    db.prepare(
      "INSERT INTO items(id, layer, kind, text, vector, journal_seq) VALUES ('a', 'm0', 'chunk', 't', x'00', 1)",
    ).run();
    expect(migrate(db, file, MIGRATIONS.core.slice(0, 4), { dim: 8 })).toBe(4);
    expect(objects(db)).toContain('audit');
    expect(db.prepare('SELECT count(*) AS n FROM items').get()).toEqual({ n: 1 });
    db.prepare("INSERT INTO audit(at, actor, action, target, result) VALUES (1, 'test', 'forget', '{}', '{}')").run();
    expect(() =>
      db.prepare("INSERT INTO audit(at, actor, action, target, result) VALUES (1, 'test', 'pin', '{}', '{}')").run(),
    ).toThrow(/CHECK constraint/);
  });

  it('core-0005-audit-entities keeps the audit rows and their ids, and admits merge, rename and undo only', () => {
    const { db, file } = fresh('core');
    migrate(db, file, MIGRATIONS.core.slice(0, 4), { dim: 8 });
    db.prepare(
      "INSERT INTO audit(at, actor, action, target, result) VALUES (1, 'a', 'correct', '{\"id\":1}', '{}')",
    ).run();
    db.prepare("INSERT INTO audit(at, actor, action, target, result) VALUES (2, 'b', 'forget', '{}', '{}')").run();
    const before = db.prepare('SELECT * FROM audit ORDER BY id').all();
    expect(migrate(db, file, MIGRATIONS.core.slice(0, 5), { dim: 8 })).toBe(5);
    expect(db.prepare('SELECT * FROM audit ORDER BY id').all()).toEqual(before);
    for (const action of ['merge', 'rename', 'undo']) {
      db.prepare("INSERT INTO audit(at, actor, action, target, result) VALUES (3, 'c', ?, '{}', '{}')").run(action);
    }
    // Ids keep counting after the rebuild: none is reused.
    expect(db.prepare('SELECT max(id) AS n FROM audit').get()).toEqual({ n: 5 });
    expect(() =>
      db.prepare("INSERT INTO audit(at, actor, action, target, result) VALUES (1, 'test', 'pin', '{}', '{}')").run(),
    ).toThrow(/CHECK constraint/);
  });

  it('core-0006 drops the in_session/next rows messages wrote, and keeps an item link that shares a kind name', () => {
    const { db, file } = fresh('core');
    migrate(db, file, MIGRATIONS.core.slice(0, 5), { dim: 8 });
    db.exec(`
      INSERT INTO sessions(id, title, created_at) VALUES ('s1', 'S', 0);
      INSERT INTO messages(id, session_id, seq, role, speaker, text, ts, journal_seq) VALUES
        ('m1', 's1', 1, 'user', 'A', 'a', 0, 1), ('m2', 's1', 2, 'user', 'A', 'b', 0, 1);
      INSERT INTO links(src, dst, kind) VALUES ('m1', 's1', 'in_session'), ('m2', 's1', 'in_session'),
        ('m1', 'm2', 'next'), ('chunk:m1', 'm1', 'derived_from'), ('entity:a', 'entity:b', 'next');
    `);
    expect(migrate(db, file, MIGRATIONS.core.slice(0, 6), { dim: 8 })).toBe(6);
    expect(db.prepare('SELECT src, dst, kind FROM links ORDER BY src').all()).toEqual([
      { src: 'chunk:m1', dst: 'm1', kind: 'derived_from' },
      { src: 'entity:a', dst: 'entity:b', kind: 'next' },
    ]);
  });

  it('graph-0002 drops the message edges and the two unread node indexes, and keeps every other edge', () => {
    const { db, file } = fresh('graph');
    migrate(db, file, MIGRATIONS.graph.slice(0, 1), { dim: 8 });
    db.exec(`
      INSERT INTO nodes(id, kind, layer, session_id, label) VALUES ('s1', 'session', NULL, 's1', 'S'),
        ('m1', 'message', 'm0', 's1', 'a'), ('m2', 'message', 'm0', 's1', 'b'), ('chunk:m1', 'chunk', 'm0', 's1', 'a');
      INSERT INTO edges(src, dst, kind) VALUES ('m1', 's1', 'in_session'), ('m1', 'm2', 'next'),
        ('chunk:m1', 'm1', 'derived_from'), ('chunk:m1', 's1', 'in_session');
    `);
    expect(migrate(db, file, MIGRATIONS.graph.slice(0, 2), { dim: 8 })).toBe(2);
    expect(db.prepare('SELECT src, dst, kind FROM edges ORDER BY src, kind').all()).toEqual([
      { src: 'chunk:m1', dst: 'm1', kind: 'derived_from' },
      { src: 'chunk:m1', dst: 's1', kind: 'in_session' },
    ]);
    expect(objects(db)).not.toContain('nodes_kind');
    expect(objects(db)).not.toContain('nodes_session');
    expect(objects(db)).toContain('edges_dst');
  });

  it('running migrations again on a current file changes nothing', () => {
    const { db, file } = fresh('core');
    migrate(db, file, MIGRATIONS.core, { dim: 8 });
    const before = objects(db);
    expect(migrate(db, file, MIGRATIONS.core, { dim: 8 })).toBe(MIGRATIONS.core.length);
    expect(objects(db)).toEqual(before);
  });

  it('refuses a file whose schema is newer than this build, naming the file', () => {
    const { db, file } = fresh('graph');
    migrate(db, file, MIGRATIONS.graph, { dim: 8 });
    db.pragma('user_version = 7');
    expect(() => migrate(db, file, MIGRATIONS.graph, { dim: 8 })).toThrow(/graph\.db has schema version 7/);
  });
});
