/**
 * The SQLite worker. One thread per role: the journal writer (core), one writer
 * per store (vector, keyword, graph), and the reader. It opens its file(s) on the
 * first `open` request and dispatches every request through its role's table;
 * failures go back as `{code, message}`, never as a thrown worker error.
 */
import { join } from 'node:path';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { StrataError, toWireError } from '../../../shared/errors';
import type { AnnTrainInit } from '../storage/ann/protocol';
import { annCacheBytes } from '../storage/ann/search';
import { runTrainer } from '../storage/ann/trainer';
import { createAuditWriter } from '../storage/audit-log';
import { createGraphStore } from '../storage/graph.store';
import { createJournal } from '../storage/journal';
import { createKeywordStore } from '../storage/keyword.store';
import { FILES, MIGRATIONS, PAGE_SIZE } from '../storage/migrations';
import { createReader } from '../storage/reader';
import { assertWritable, migrate, openConnections, openDatabase, sqliteError } from '../storage/sqlite';
import { openVectorStore } from '../storage/vector.store';
import { isolateMemory, MEMORY_METHOD, toMb } from './memory';
import type { Handlers, MethodMap, Ready, Request, Response, StoreInit } from './protocol';
import { nowMs } from './protocol';

const init = workerData as StoreInit;
const port = parentPort;
if (!port) throw new Error('store.worker must run as a worker thread');
// The vector writer starts its IVF trainer from this same bundle, so every build ships it.
const trainer = (workerData as { role: string }).role === 'ann-train';
if (trainer) runTrainer(workerData as AnnTrainInit);

type AnyHandlers = Record<string, (params: never) => unknown>;
let handlers: AnyHandlers | null = null;
let file = '';
/** What a close must wait for before it replies (the vector writer's IVF trainer ending its thread by itself). */
let drain: (() => Promise<void>) | null = null;

function openRole(): AnyHandlers {
  if (init.role === 'reader') return createReader(init.dataDir, init.busyTimeoutMs) as unknown as AnyHandlers;
  file = join(init.dataDir, FILES[init.role]);
  const db = openDatabase(file, {
    readonly: false,
    busyTimeoutMs: init.busyTimeoutMs,
    pageSize: PAGE_SIZE[init.role],
    loadVec: init.role === 'vector',
    synchronous: init.role === 'core' ? init.journalSync : 'NORMAL',
  });
  migrate(db, file, MIGRATIONS[init.role], { dim: init.dim });
  assertWritable(db, file);
  let table: Handlers<MethodMap>;
  // The reader was handled above; every other store role has a file.
  switch (init.role) {
    case 'core':
      table = {
        ...createJournal(db, init.dim, init.maxTraces, init.embedderId, init.acceptOtherEmbedder ?? false),
        ...createAuditWriter(db),
      };
      break;
    case 'vector': {
      const store = openVectorStore(db, init.dim, {
        file,
        ann: { trainerEntry: new URL(import.meta.url), busyTimeoutMs: init.busyTimeoutMs },
      });
      table = store.handlers;
      drain = () => store.ann.stopped();
      break;
    }
    case 'keyword':
      table = createKeywordStore(db);
      break;
    case 'graph':
      table = createGraphStore(db);
      break;
  }
  return table as unknown as AnyHandlers;
}

/** A lock that outlasted the busy timeout: the error says which timeout it waited for. */
function openRoleOnce(): AnyHandlers {
  try {
    return openRole();
  } catch (thrown) {
    const err = file && !(thrown instanceof StrataError) ? sqliteError(thrown, file, 'open') : thrown;
    if (err instanceof StrataError && err.code === 'STORE_LOCKED') {
      throw new StrataError('STORE_LOCKED', `${err.message} (gave up after ${init.busyTimeoutMs} ms)`, {
        ...(err.details ?? {}),
        busyTimeoutMs: init.busyTimeoutMs,
      });
    }
    throw err;
  }
}

function handle(req: Request): unknown {
  if (req.method === MEMORY_METHOD) {
    return isolateMemory(init.role, { connections: openConnections(), annCacheMb: toMb(annCacheBytes()) });
  }
  if (req.method === 'open' && handlers === null) handlers = openRoleOnce();
  if (handlers === null) throw new StrataError('WORKER_FAILED', `${init.role} worker: "${req.method}" before open`);
  const fn = Object.hasOwn(handlers, req.method) ? handlers[req.method] : undefined;
  if (!fn) throw new StrataError('INTERNAL', `${init.role} worker has no method "${req.method}"`);
  try {
    return fn(req.params as never);
  } catch (err) {
    throw file && !(err instanceof StrataError) ? sqliteError(err, file, req.method) : err;
  } finally {
    // After a close the next `open` opens the file afresh (a store whose file was set aside reopens a new one).
    if (req.method === 'close') handlers = null;
  }
}

function reply(req: Request, t0: number, outcome: { result: unknown } | { err: unknown }): void {
  const res: Response =
    'result' in outcome
      ? { seq: req.seq, ok: true, result: outcome.result, t0, t1: nowMs() }
      : {
          seq: req.seq,
          ok: false,
          error: toWireError(outcome.err, { stack: process.env.NODE_ENV !== 'production' }),
          t0,
          t1: nowMs(),
        };
  port?.postMessage(res, res.ok ? buffersOf(res.result) : []);
}

// The trainer (same bundle) has its own listener; it must be the only one, so its thread can end by itself.
if (!trainer) {
  port.on('message', (req: Request) => {
    const t0 = nowMs();
    let outcome: { result: unknown } | { err: unknown };
    try {
      outcome = { result: handle(req) };
    } catch (err) {
      outcome = { err };
    }
    // A close replies once its trainer thread has ended: the client terminates this thread right after the reply.
    const wait = req.method === 'close' ? drain : null;
    if (!wait) return reply(req, t0, outcome);
    drain = null;
    void wait().then(
      () => reply(req, t0, outcome),
      () => reply(req, t0, outcome),
    );
  });
}

type Carrier = { vectors?: Float32Array | null; op?: { vectors?: Float32Array | null } } | null;

/** Vector buffers go back without copying: item reads carry them, and so do journal ops (appended, replayed, paged). */
function buffersOf(result: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (v: Float32Array | null | undefined): void => {
    if (v && v.byteLength > 0) out.add(v.buffer as ArrayBuffer);
  };
  for (const r of (Array.isArray(result) ? result : [result]) as Carrier[]) {
    add(r?.vectors);
    add(r?.op?.vectors);
  }
  return [...out];
}

const ready: Ready = { ready: true, threadId };
if (!trainer) port.postMessage(ready);
