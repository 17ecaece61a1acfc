/**
 * Lifecycle and file faults, with real files, real worker threads and real
 * child processes: every fault is refused with a clear code naming the file or
 * directory; a failed open leaves no lock and no worker thread behind, so a
 * correct open right after it (with the fault removed) succeeds with the data
 * intact. Also: a worker thread killed while writes are in flight loses no
 * acknowledged write.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { afterEach, describe, expect, it } from 'vitest';
import { readStores, tempDir, waitFor } from '../../../../test/support/fixtures';
import { type ErrorCode, StrataError } from '../../../shared/errors';
import { STORE_NAMES } from '../../../shared/types';
import { createHashingEmbedder } from '../embed/hashing';
import { Engine, type EngineOptions } from '../engine';
import { decodeVector } from './vector-codec';

const require = createRequire(import.meta.url);
const SQLITE_MODULE = require.resolve('better-sqlite3');
const ENGINE_MODULE = fileURLToPath(new URL('../engine.ts', import.meta.url));
const ROOT = path.resolve(path.dirname(ENGINE_MODULE), '../../..');
const SESSION = 'faults-session';
/** How long a child that starts tsx and opens the engine may take before it counts as hung: a budget for a machine five
 * times slower than a loaded 2-core one (a loaded run took over 10 s), not a speed check. */
const OPEN_BOUND_MS = 120_000;

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dataDir(prefix = 'strata-faults-'): string {
  const t = tempDir(prefix);
  cleanups.push(t.cleanup);
  return t.dir;
}

/** Opens an engine that the test closes itself; if the test fails first, it is closed afterwards. */
/** These tests are about storage: a plain M0 engine, one chunk per message, no background layers. */
const M0_ONLY = { layers: false, chunking: { shortTokens: 0 } } as const;

async function open(opts: EngineOptions): Promise<Engine> {
  const engine = await Engine.open({ ...M0_ONLY, ...opts });
  cleanups.push(() => (engine.status().open ? engine.close() : undefined));
  return engine;
}

/** Worker threads alive in this process: each one holds a MessagePort handle open. */
function liveWorkerPorts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
}

async function refusal(call: () => unknown): Promise<StrataError> {
  try {
    await call();
  } catch (err) {
    expect(err).toBeInstanceOf(StrataError);
    return err as StrataError;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

/** A failed open: the code, the file or directory named in the message, and nothing left running or locked. */
async function expectOpenFails(
  opts: EngineOptions,
  code: ErrorCode,
  names: string,
  { lockHeldElsewhere = false } = {},
): Promise<StrataError & { elapsedMs: number }> {
  const ports = liveWorkerPorts();
  const started = Date.now();
  const err = await refusal(() => Engine.open({ ...M0_ONLY, ...opts }));
  const elapsedMs = Date.now() - started;
  expect({ code: err.code, namesIt: err.message.includes(names) }, err.message).toEqual({ code, namesIt: true });
  // No lock file of its own and no stray probe file left in the directory, no worker thread left running.
  if (fs.existsSync(opts.dataDir) && fs.statSync(opts.dataDir).isDirectory()) {
    const left = fs.readdirSync(opts.dataDir).filter((f) => f === 'strata.lock' || f.startsWith('.strata-probe'));
    expect(left).toEqual(lockHeldElsewhere ? ['strata.lock'] : []);
  }
  expect(liveWorkerPorts()).toBe(ports);
  return Object.assign(err, { elapsedMs });
}

/** A closed data directory holding one session and two writes; returns the chunk ids it holds. */
async function populated(dir: string): Promise<string[]> {
  const engine = await Engine.open({ ...M0_ONLY, dataDir: dir });
  await engine.createSession({ id: SESSION, title: 'Faults' });
  await engine.addMessages(SESSION, [
    { id: 'm1', text: 'The ferry leaves at nine.' },
    { id: 'm2', text: 'Bring the blue umbrella.' },
  ]);
  await engine.addMessages(SESSION, [{ id: 'm3', text: 'The harbour cafe opens early.' }]);
  await engine.close();
  return ['chunk:m1', 'chunk:m2', 'chunk:m3'];
}

/** After a fault is removed: the engine opens, every store holds exactly the journal's items, and writes work. */
async function expectHealthyOpen(dir: string, ids: string[], opts: Partial<EngineOptions> = {}): Promise<void> {
  const engine = await open({ dataDir: dir, ...opts });
  expect(engine.status().stores.map((s) => [s.store, s.healthy, s.pendingOps])).toEqual(
    STORE_NAMES.map((s) => [s, true, 0]),
  );
  for (const s of ['core', ...STORE_NAMES] as const) expect(await engine.storage.storeIds(s)).toEqual(ids);
  const res = await engine.addMessages(SESSION, [{ id: 'after-fault', text: 'Written once the fault was gone.' }]);
  expect(Object.values(res.outcomes).map((o) => o.status)).toEqual(['ok', 'ok', 'ok']);
  const want = [...ids, 'chunk:after-fault'].sort();
  for (const s of ['core', ...STORE_NAMES] as const) expect(await engine.storage.storeIds(s)).toEqual(want);
  await engine.close();
  expect(fs.existsSync(path.join(dir, 'strata.lock'))).toBe(false);
}

/** Folds a file's WAL into it so the main file alone holds everything. */
function checkpoint(file: string): void {
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  for (const ext of ['-wal', '-shm']) fs.rmSync(`${file}${ext}`, { force: true });
}

/** A child process running `script`; resolves once it prints READY. */
async function child(script: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    }
  };
  cleanups.push(stop);
  let stderr = '';
  proc.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`child did not get ready in ${OPEN_BOUND_MS / 1000} s: ${stderr}`)),
      OPEN_BOUND_MS,
    );
    proc.stdout?.on('data', (d) => {
      if (String(d).includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${code} before it was ready: ${stderr}`));
    });
  });
  return proc;
}

async function kill(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

/** Another process holding SQLite's write lock on `file` (BEGIN EXCLUSIVE), until killed. */
function holdWriteLock(file: string): Promise<ChildProcess> {
  return child(
    `const Database = require(process.env.SQLITE_MODULE);
     const db = new Database(process.env.DB_FILE);
     db.exec('BEGIN EXCLUSIVE');
     process.stdout.write('READY\\n');
     setInterval(() => {}, 1000);`,
    { SQLITE_MODULE, DB_FILE: file },
  );
}

describe('lifecycle', () => {
  it('every call after close() is refused with ENGINE_CLOSED naming the data directory; nothing is written', async () => {
    const dir = dataDir();
    const engine = await open({ dataDir: dir });
    await engine.createSession({ id: SESSION });
    await engine.addMessages(SESSION, [{ id: 'm1', text: 'before close' }]);
    await engine.close();
    expect(engine.status().open).toBe(false);
    expect(fs.existsSync(path.join(dir, 'strata.lock'))).toBe(false);

    const vectors = await createHashingEmbedder(512).embed(['late fact']);
    await expect(engine.embedder.embed(['late fact'])).rejects.toMatchObject({ code: 'ENGINE_CLOSED' });
    const calls: [string, () => unknown][] = [
      ['addMessages', () => engine.addMessages(SESSION, [{ id: 'late', text: 'after close' }])],
      ['createSession', () => engine.createSession({ id: 'late-session' })],
      ['deleteMessage', () => engine.deleteMessage('m1')],
      ['deleteSession', () => engine.deleteSession(SESSION)],
      ['listMessages', () => engine.listMessages(SESSION)],
      ['listSessions', () => engine.listSessions()],
      ['listTraces', () => engine.listTraces()],
      [
        'writeToAll',
        () =>
          engine.storage.writeToAll({
            items: [{ id: 'late-fact', layer: 'm1', kind: 'fact', sessionId: SESSION, text: 'late fact', sources: [] }],
            vectors,
          }),
      ],
      ['storeCounts', () => engine.storage.storeCounts('core')],
      ['storeIds', () => engine.storage.storeIds('vector')],
    ];
    for (const [name, call] of calls) {
      const err = await refusal(call);
      expect({ name, code: err.code, namesDir: err.message.includes(dir) }, err.message).toEqual({
        name,
        code: 'ENGINE_CLOSED',
        namesDir: true,
      });
    }

    // Nothing of the refused calls reached the files: the message is still there, nothing late was added.
    const stores = readStores(dir);
    expect(stores.items.map((i) => i.id)).toEqual(['chunk:m1']);
    expect(stores.vector.map((v) => v.id)).toEqual(['chunk:m1']);
    expect(stores.keyword.map((k) => k.id)).toEqual(['chunk:m1']);
    expect(stores.nodes.map((n) => n.id)).toEqual(['chunk:m1', SESSION, 'm1']);
  });

  it('closing twice is refused with ALREADY_CLOSED naming the data directory', async () => {
    const dir = dataDir();
    const engine = await open({ dataDir: dir });
    await engine.close();
    const err = await refusal(() => engine.close());
    expect(err.code).toBe('ALREADY_CLOSED');
    expect(err.message).toContain(dir);
    // The refused close changed nothing: the directory opens again.
    const again = await open({ dataDir: dir });
    expect(again.status().open).toBe(true);
    await again.close();
  });

  it('two close() calls at once: one closes, the other is refused with ALREADY_CLOSED', async () => {
    const dir = dataDir();
    const engine = await open({ dataDir: dir });
    const [first, second] = await Promise.allSettled([engine.close(), engine.close()]);
    expect(first.status).toBe('fulfilled');
    expect(second.status === 'rejected' ? (second.reason as StrataError).code : 'resolved').toBe('ALREADY_CLOSED');
    expect(fs.existsSync(path.join(dir, 'strata.lock'))).toBe(false);
  });

  it('close() with writes in flight: every write settles, and each acknowledged one is in every store', async () => {
    const dir = dataDir();
    const engine = await open({ dataDir: dir });
    await engine.createSession({ id: SESSION });
    const writes = Array.from({ length: 6 }, (_, w) =>
      engine.addMessages(
        SESSION,
        Array.from({ length: 20 }, (_, i) => ({ id: `w${w}-m${i}`, text: `write ${w}, message ${i}` })),
      ),
    );
    const settling = Promise.allSettled(writes); // handlers attached before close, so no rejection goes unhandled
    await engine.close();
    const settled = await settling;
    // Calls made before close() are finished by it, not cut off.
    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    const acked = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value.messageIds : []));
    for (const s of settled) {
      if (s.status === 'rejected') expect((s.reason as StrataError).code).toBe('ENGINE_CLOSED');
    }
    const reopened = await open({ dataDir: dir });
    const journal = (await reopened.listMessages(SESSION)).map((m) => m.id);
    expect(journal).toEqual(expect.arrayContaining(acked));
    const chunks = journal.map((id) => `chunk:${id}`).sort();
    for (const s of ['core', ...STORE_NAMES] as const) expect(await reopened.storage.storeIds(s)).toEqual(chunks);
    await reopened.close();
  });
});

describe('data directory faults', () => {
  it('a data dir below a regular file → DIR_NOT_WRITABLE naming the dir; opens once the file is gone', async () => {
    const root = dataDir();
    const afile = path.join(root, 'afile');
    fs.writeFileSync(afile, 'not a directory');
    const dir = path.join(afile, 'data');
    const err = await expectOpenFails({ dataDir: dir }, 'DIR_NOT_WRITABLE', dir);
    expect(err.details?.dir).toBe(dir);
    expect(fs.readFileSync(afile, 'utf8')).toBe('not a directory');

    fs.rmSync(afile);
    const engine = await open({ dataDir: dir });
    await engine.createSession({ id: SESSION });
    expect((await engine.addMessages(SESSION, [{ id: 'x', text: 'now it works' }])).messageIds).toEqual(['x']);
    await engine.close();
  });

  it('a data dir that is itself a regular file → DIR_NOT_WRITABLE naming it', async () => {
    const root = dataDir();
    const file = path.join(root, 'plain-file');
    fs.writeFileSync(file, 'data');
    await expectOpenFails({ dataDir: file }, 'DIR_NOT_WRITABLE', file);
    expect(fs.readFileSync(file, 'utf8')).toBe('data');
  });

  it('a data dir below a dangling symlink → DIR_NOT_WRITABLE naming the dir', async () => {
    const root = dataDir();
    fs.symlinkSync(path.join(root, 'missing-target'), path.join(root, 'dangling'));
    const dir = path.join(root, 'dangling', 'data');
    await expectOpenFails({ dataDir: dir }, 'DIR_NOT_WRITABLE', dir);
    expect(fs.existsSync(path.join(root, 'missing-target'))).toBe(false);
  });

  it('a data dir under /proc → DIR_NOT_WRITABLE naming the dir, without hanging (opened in a child process)', async () => {
    // Run in a child so that an open which never returns fails this test instead of freezing the test process.
    const dir = `/proc/strata-no-such-dir-${process.pid}/data`;
    const script = path.join(dataDir(), 'open-child.mts');
    fs.writeFileSync(
      script,
      `const { Engine } = await import(process.argv[2]);
       try {
         const engine = await Engine.open({ dataDir: process.argv[3], layers: false });
         await engine.close();
         console.log(JSON.stringify({ opened: true }));
       } catch (err) {
         console.log(JSON.stringify({ code: err.code, message: err.message }));
       }`,
    );
    const proc = spawn(process.execPath, ['--import', 'tsx', script, ENGINE_MODULE, dir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(async () => {
      if (proc.exitCode === null && proc.signalCode === null) await kill(proc);
    });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += String(d);
    });
    const exited = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), OPEN_BOUND_MS);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    expect(exited, `Engine.open("${dir}") had not returned after ${OPEN_BOUND_MS / 1000} s`).toBe(true);
    const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { code?: string; message?: string };
    expect(result.code).toBe('DIR_NOT_WRITABLE');
    expect(result.message).toContain(dir);
  });

  it('a store path that is a directory → DIR_NOT_WRITABLE naming that file', async () => {
    const dir = dataDir();
    fs.mkdirSync(path.join(dir, 'graph.db'));
    const err = await expectOpenFails({ dataDir: dir }, 'DIR_NOT_WRITABLE', 'graph.db');
    expect(String(err.details?.file)).toBe(path.join(dir, 'graph.db'));
    fs.rmdirSync(path.join(dir, 'graph.db'));
    const engine = await open({ dataDir: dir });
    expect(engine.status().stores.every((s) => s.healthy)).toBe(true);
    await engine.close();
  });
});

describe('locks', () => {
  it('a second engine on an open data dir → STORE_LOCKED naming strata.lock; the first keeps the lock', async () => {
    const dir = dataDir();
    const ids = await populated(dir);
    const first = await open({ dataDir: dir });
    const err = await expectOpenFails({ dataDir: dir }, 'STORE_LOCKED', 'strata.lock', { lockHeldElsewhere: true });
    expect(err.message).toContain(dir);
    // The refused open did not take or drop the first engine's lock: a third attempt is refused too.
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'strata.lock'), 'utf8')).pid).toBe(process.pid);
    await expectOpenFails({ dataDir: dir }, 'STORE_LOCKED', 'strata.lock', { lockHeldElsewhere: true });
    // The first engine is unaffected.
    await first.addMessages(SESSION, [{ id: 'm4', text: 'Still writing.' }]);
    await first.close();
    await expectHealthyOpen(dir, [...ids, 'chunk:m4']);
  });

  it('strata.lock held by another live process → STORE_LOCKED naming it and the pid; a dead owner is taken over', async () => {
    const dir = dataDir();
    const ids = await populated(dir);
    const other = await child("process.stdout.write('READY\\n'); setInterval(() => {}, 1000);");
    fs.writeFileSync(path.join(dir, 'strata.lock'), String(other.pid));
    const err = await expectOpenFails({ dataDir: dir }, 'STORE_LOCKED', 'strata.lock', { lockHeldElsewhere: true });
    expect(err.message).toContain(String(other.pid));
    // Another process's lock is left exactly as it was.
    expect(fs.readFileSync(path.join(dir, 'strata.lock'), 'utf8')).toBe(String(other.pid));

    await kill(other);
    // Its owner is gone: the stale lock is taken over.
    await expectHealthyOpen(dir, ids);
  });

  for (const file of ['graph.db', 'core.db']) {
    it(`${file} write-locked by another process → STORE_LOCKED naming ${file}; opens once that process is gone`, async () => {
      const dir = dataDir();
      const ids = await populated(dir);
      const holder = await holdWriteLock(path.join(dir, file));
      const err = await expectOpenFails({ dataDir: dir, busyTimeoutMs: 200 }, 'STORE_LOCKED', file);
      expect(String(err.details?.file)).toBe(path.join(dir, file));
      // It gave up (the holder never lets go, so an open that waited without bound would never return), and it
      // says it did so under the busy timeout it was given, not the 5 s default.
      expect(err.details?.busyTimeoutMs).toBe(200);
      await kill(holder);
      await expectHealthyOpen(dir, ids);
    });
  }
});

describe('damaged files', () => {
  const garbage: [string, (file: string) => void][] = [
    ['random bytes', (f) => fs.writeFileSync(f, crypto.randomBytes(64 * 1024))],
    ['garbage text', (f) => fs.writeFileSync(f, 'this is not a database, just some garbage text\n'.repeat(1_000))],
    [
      'a valid header over a garbled schema page',
      (f) => {
        const buf = fs.readFileSync(f);
        crypto.randomBytes(4_000).copy(buf, 100);
        fs.writeFileSync(f, buf);
      },
    ],
  ];
  for (const [what, damage] of garbage) {
    it(`vector.db overwritten with ${what} → opens anyway: the damaged file kept aside as it was, vector.db rebuilt from the journal, status naming it`, async () => {
      const dir = dataDir();
      const ids = await populated(dir);
      const file = path.join(dir, 'vector.db');
      checkpoint(file);
      damage(file);
      for (const ext of ['-wal', '-shm']) fs.rmSync(`${file}${ext}`, { force: true });
      const damaged = fs.readFileSync(file);
      const engine = await open({ dataDir: dir });
      const vector = engine.status().stores.find((s) => s.store === 'vector');
      expect(vector).toMatchObject({ healthy: true, pendingOps: 0, rebuilds: 1, lastError: { code: 'STORE_CORRUPT' } });
      expect(vector?.lastError?.message).toContain('vector.db');
      expect(await engine.storage.storeIds('vector')).toEqual(ids);
      await engine.close();
      // The damaged file was not repaired, truncated or overwritten: it is kept, byte for byte, beside the new one.
      const kept = fs.readdirSync(dir).filter((f) => f.startsWith('vector.db.corrupt-') && !/-(wal|shm)$/.test(f));
      expect(kept).toHaveLength(1);
      expect(fs.readFileSync(path.join(dir, kept[0] as string)).equals(damaged)).toBe(true);
      await expectHealthyOpen(dir, ids);
    });
  }

  it('core.db overwritten with random bytes → STORE_CORRUPT naming core.db', async () => {
    const dir = dataDir();
    const ids = await populated(dir);
    const file = path.join(dir, 'core.db');
    checkpoint(file);
    const backup = fs.readFileSync(file);
    fs.writeFileSync(file, crypto.randomBytes(64 * 1024));
    await expectOpenFails({ dataDir: dir }, 'STORE_CORRUPT', 'core.db');
    fs.writeFileSync(file, backup);
    await expectHealthyOpen(dir, ids);
  });

  it('keyword.db with a newer schema (user_version 99) → SCHEMA_TOO_NEW naming keyword.db; opens once set back', async () => {
    const dir = dataDir();
    const ids = await populated(dir);
    const file = path.join(dir, 'keyword.db');
    const setVersion = (v: number): void => {
      const db = new Database(file);
      db.pragma(`user_version = ${v}`);
      db.close();
    };
    setVersion(99);
    const err = await expectOpenFails({ dataDir: dir }, 'SCHEMA_TOO_NEW', 'keyword.db');
    expect(err.message).toContain('99');
    expect(err.details).toMatchObject({ version: 99, supported: 3 });
    // The refused open did not migrate or rewrite the newer file.
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(99);
    db.close();

    setVersion(3);
    await expectHealthyOpen(dir, ids);
  });

  it("vector.db at the last release's schema (1) is migrated to the current one and refilled from the journal on open", async () => {
    const dir = dataDir();
    const ids = await populated(dir);
    const file = path.join(dir, 'vector.db');
    // Put the file back as schema 1 wrote it: vec_items without the session column, its rows in place.
    const db = new Database(file);
    sqliteVec.load(db);
    const dim = db.prepare<[], { value: string }>("SELECT value FROM store_meta WHERE key = 'dim'").get()?.value;
    db.exec(`
      DROP INDEX IF EXISTS vec_ids_layer;
      DROP TABLE vec_items;
      CREATE VIRTUAL TABLE vec_items USING vec0(layer TEXT PARTITION KEY, embedding float[${dim}] distance_metric=cosine);
    `);
    const core = new Database(path.join(dir, 'core.db'), { readonly: true });
    const vectors = core
      .prepare<[], { rowid: number; layer: string; vector: Buffer }>('SELECT rowid, layer, vector FROM items')
      .all();
    core.close();
    const insert = db.prepare('INSERT INTO vec_items(rowid, layer, embedding) VALUES (?, ?, ?)');
    // The journal keeps half floats (vector-codec.ts); the old vec0 table took float32.
    const f32 = new Float32Array(Number(dim));
    for (const v of vectors) {
      decodeVector(v.vector, Number(dim), f32, 0);
      insert.run(BigInt(v.rowid), v.layer, f32);
    }
    db.pragma('user_version = 1');
    db.close();

    await expectHealthyOpen(dir, ids);
    const upgraded = new Database(file, { readonly: true });
    expect(upgraded.pragma('user_version', { simple: true })).toBe(3);
    upgraded.close();
    const engine = await open({ dataDir: dir });
    const r = await engine.query({ text: 'The ferry leaves at nine.', sessionIds: [SESSION], weights: { keyword: 0 } });
    expect(r.hits[0]?.messageIds).toEqual(['m1']);
    await engine.close();
  });

  it('opening with an embedder of another dimension → DIMENSION_MISMATCH naming core.db and both dimensions', async () => {
    const dir = dataDir();
    const ids = await populated(dir);
    const err = await expectOpenFails(
      { dataDir: dir, embedder: createHashingEmbedder(256) },
      'DIMENSION_MISMATCH',
      'core.db',
    );
    expect(err.message).toContain('512');
    expect(err.message).toContain('256');
    expect(err.details).toMatchObject({ stored: 512, requested: 256 });
    await expectHealthyOpen(dir, ids, { embedder: createHashingEmbedder(512) });
  });
});

describe('worker crashes with writes in flight', () => {
  for (const role of ['vector', 'keyword', 'graph', 'core'] as const) {
    it(`killing the ${role} worker loses no acknowledged write; every store ends equal to the journal`, async () => {
      const dir = dataDir();
      const engine = await open({ dataDir: dir, retryBaseMs: 20 });
      await engine.createSession({ id: SESSION });
      const before = await engine.addMessages(SESSION, [{ id: 'before', text: 'written before the crash' }]);
      const writes = Array.from({ length: 12 }, (_, w) =>
        engine.addMessages(
          SESSION,
          Array.from({ length: 25 }, (_, i) => ({ id: `w${w}-m${i}`, text: `write ${w}, message ${i}: crash test` })),
        ),
      );
      // The first is acknowledged; the rest are queued in the journal or on their way to the stores.
      await writes[0];
      await engine.storage.crashWorker(role);
      const settled = await Promise.allSettled(writes);

      // The journal acknowledges a write whatever a store does, and a journal call is replayed after a crash.
      const failures = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
      expect(failures).toEqual([]);
      const acked = ['before', ...settled.flatMap((s) => (s.status === 'fulfilled' ? s.value.messageIds : []))];
      expect(acked).toHaveLength(1 + 12 * 25);

      await waitFor(
        async () => {
          await engine.storage.retryNow();
          return engine.status().stores.every((s) => s.healthy && s.pendingOps === 0);
        },
        'every store healthy and caught up',
        15_000,
      );
      await engine.storage.settle();

      const status = engine.status();
      for (const s of status.stores) {
        expect([s.store, s.workerRestarts >= 1]).toEqual([s.store, s.store === role]);
      }
      // Exactly the acknowledged messages, once each, in a gapless order.
      const journal = await engine.listMessages(SESSION);
      expect(journal.map((m) => m.id).sort()).toEqual([...acked].sort());
      expect(journal.map((m) => m.seq)).toEqual(journal.map((_, i) => i + 1));
      const chunks = acked.map((id) => `chunk:${id}`).sort();
      for (const s of ['core', ...STORE_NAMES] as const) expect(await engine.storage.storeIds(s)).toEqual(chunks);
      expect((await engine.storage.storeCounts('vector')).rows).toBe(chunks.length);
      const graph = await engine.storage.storeCounts('graph');
      expect(graph.nodes).toBe(1 + 2 * chunks.length);

      // A write after the crash runs on the new thread.
      const after = await engine.addMessages(SESSION, [{ id: 'after', text: 'written after the crash' }]);
      expect(Object.values(after.outcomes).map((o) => o.status)).toEqual(['ok', 'ok', 'ok']);
      const threadOf = (r: typeof before, store: string) => r.trace.spans.find((s) => s.store === store)?.threadId;
      const crashed = role === 'core' ? 'core' : role;
      expect(threadOf(after, crashed)).not.toBe(threadOf(before, crashed));
      await engine.close();

      // Read straight from the files: every store holds exactly the journal's items, and a reopen needs no rebuild.
      const files = readStores(dir);
      const items = files.items.map((i) => i.id);
      expect(items).toEqual([...chunks, 'chunk:after'].sort());
      expect(files.vector.map((v) => v.id)).toEqual(items);
      expect(files.keyword.map((k) => k.id)).toEqual(items);
      const reopened = await open({ dataDir: dir });
      expect(reopened.status().stores.map((s) => [s.store, s.healthy, s.rebuilds])).toEqual(
        STORE_NAMES.map((s) => [s, true, 0]),
      );
      await reopened.close();
    });
  }
});
