/**
 * The storage manager: journal first, then one op fanned out to the vector,
 * keyword and graph writers, in parallel (or one after another in `sequential`
 * mode, for honest comparison). Owns per-store health, catch-up from the
 * journal, retries, write traces, and the idle maintenance (checkpoints,
 * outbox pruning). Never touches SQLite itself: every file lives on a worker.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { StrataError, type WireError } from '../../../shared/errors';
import {
  type Layer,
  type Message,
  type Span,
  STORE_NAMES,
  type StorageStatus,
  type StoreName,
  type StoreStatus,
  type WriteMode,
  type WriteTrace,
} from '../../../shared/types';
import { InFlight } from '../in-flight';
import { type CallTiming, WorkerClient, workerEntry } from '../workers/client';
import type {
  AppendResult,
  DecisionRow,
  DeleteResult,
  GraphNodeRow,
  ItemRow,
  JournalOp,
  LinkRow,
  MessageRow,
  Params,
  ReaderMethods,
  Result,
  SearchMethods,
  SessionRow,
  SnapshotCursor,
  SnapshotPage,
  StoreCounts,
  StoreInit,
  StoreOp,
} from '../workers/protocol';
import { nowMs } from '../workers/protocol';
import { itemNode } from './journal';
import { acquireDirLock, type DirLock } from './lock';
import { type ItemInput, validateItems, validateVectors } from './validate';

export interface StorageOptions {
  dataDir: string;
  dim: number;
  mode?: WriteMode;
  /** How long a writer waits for a lock held by another process before failing. */
  busyTimeoutMs?: number;
  /** Traces kept in core.db; the oldest are dropped first. */
  maxTraces?: number;
  /** First retry delay after a store fails; doubles up to 10 s. */
  retryBaseMs?: number;
  /**
   * `power` (default): the journal fsyncs every commit, so an acknowledged write survives power loss.
   * `process`: an acknowledged write survives a crash of the process but the last commits may be lost on power loss.
   */
  durability?: 'power' | 'process';
  /** The embedder whose vectors are written; a data directory keeps to one. */
  embedderId?: string;
  /** Open a directory written by another embedder, so that the caller can re-embed it (see `storedEmbedder`). */
  acceptOtherEmbedder?: boolean;
}

export interface WriteBatch {
  sessions?: SessionRow[];
  messages?: MessageRow[];
  items: ItemInput[];
  /** items.length × dim floats. The manager takes ownership: its buffer is transferred to the vector writer. */
  vectors: Float32Array;
  /** Sessions that must already exist (checked inside the journal transaction). */
  requireSessions?: string[];
  /** Names the write in its trace (for example `m0.addMessages`). */
  kind?: string;
  /** M2 update decisions, journaled in the same transaction as the facts. */
  decisions?: DecisionRow[];
  /** The layer this write builds; its spans carry it. */
  layer?: Layer;
  /** Work the caller did for this write before handing it over (embedding, extraction), shown first in its trace. */
  before?: { stage: string; start: number; end: number; rows: number; threadId?: number }[];
  /** Plain remarks kept with the trace (for example which extractor ran, and why the LLM path fell back). */
  notes?: string[];
  /** This batch's own write mode (the profile's sequential round); the manager's `mode` is never flipped for it. */
  mode?: WriteMode;
}

export type StoreOutcome =
  | { store: StoreName; status: 'ok'; rows: number }
  | { store: StoreName; status: 'failed' | 'deferred'; rows: 0; error: WireError };

export interface WriteResult {
  seq: number;
  rowids: number[];
  messageSeqs: number[];
  outcomes: Record<StoreName, StoreOutcome>;
  trace: WriteTrace;
}

interface StoreState {
  name: StoreName;
  client: WorkerClient<StoreName>;
  applied: number;
  /** Seq of the last op posted to the writer; the next op names it as its prevSeq. */
  lastPosted: number;
  healthy: boolean;
  catchingUp: Promise<void> | null;
  failures: number;
  lastError: WireError | null;
  retryTimer: NodeJS.Timeout | null;
  retryDelay: number;
  rowsSinceCheckpoint: number;
  rebuilds: number;
  forceRebuild: boolean;
}

const CATCH_UP_ROWS = 2_000;
const CHECKPOINT_ROWS = 20_000;
const IDLE_MS = 300;
const TRACE_FLUSH = 256;
const MAX_RETRY_MS = 10_000;

export class StorageManager {
  readonly dataDir: string;
  readonly dim: number;
  mode: WriteMode;
  private readonly core: WorkerClient<'core'>;
  private readonly reader: WorkerClient<'reader'>;
  private readonly readerInit: StoreInit;
  private readonly entry: string;
  private readonly searchers = new Map<string, { client: WorkerClient<'reader'>; opened: Promise<void> }>();
  private readonly stores: Record<StoreName, StoreState>;
  private journalSeq = 0;
  /** The embedder the journal's vectors came from (differs from the engine's only while re-embedding). */
  storedEmbedder = '';
  private prunedSeq = 0;
  private closed = false;
  private serial: Promise<unknown> = Promise.resolve();
  private pendingTraces: WriteTrace[] = [];
  private idleTimer: NodeJS.Timeout | null = null;
  /** Writes and deletes still running: close() lets them finish, idle maintenance waits for none. */
  private readonly writes = new InFlight();
  private readonly retryBaseMs: number;
  /** Called with every write trace as it is made (the app streams them to the window). */
  onTrace: ((trace: WriteTrace) => void) | null = null;
  private traceFlush: Promise<void> = Promise.resolve();

  private constructor(
    opts: Required<StorageOptions>,
    private readonly lock: DirLock,
  ) {
    this.dataDir = opts.dataDir;
    this.dim = opts.dim;
    this.mode = opts.mode;
    this.retryBaseMs = opts.retryBaseMs;
    const entry = workerEntry();
    const init = (role: StoreInit['role']): StoreInit => ({
      role,
      dataDir: opts.dataDir,
      dim: opts.dim,
      busyTimeoutMs: opts.busyTimeoutMs,
      maxTraces: opts.maxTraces,
      journalSync: opts.durability === 'process' ? 'NORMAL' : 'FULL',
      embedderId: opts.embedderId,
      acceptOtherEmbedder: opts.acceptOtherEmbedder,
    });
    this.core = new WorkerClient('core', init('core'), entry);
    this.reader = new WorkerClient('reader', init('reader'), entry);
    this.readerInit = init('reader');
    this.entry = entry;
    const store = (name: StoreName): StoreState => ({
      name,
      client: new WorkerClient(name, init(name), entry, () => this.onWorkerRestart(name)),
      applied: 0,
      lastPosted: 0,
      healthy: true,
      catchingUp: null,
      failures: 0,
      lastError: null,
      retryTimer: null,
      retryDelay: opts.retryBaseMs,
      rowsSinceCheckpoint: 0,
      rebuilds: 0,
      forceRebuild: false,
    });
    this.stores = { vector: store('vector'), keyword: store('keyword'), graph: store('graph') };
  }

  /** Opens (creating if needed) the four files, applies migrations, and replays whatever a store missed. */
  static async open(options: StorageOptions): Promise<StorageManager> {
    const opts: Required<StorageOptions> = {
      mode: 'parallel',
      busyTimeoutMs: 5_000,
      maxTraces: 2_000,
      retryBaseMs: 200,
      durability: 'power',
      embedderId: `vectors-${options.dim}`,
      acceptOtherEmbedder: false,
      ...options,
    };
    if (!Number.isInteger(opts.dim) || opts.dim < 1 || opts.dim > 8192) {
      throw new StrataError('INVALID_INPUT', `dim: expected an integer from 1 to 8192, got ${opts.dim}`, {
        field: 'dim',
      });
    }
    ensureWritableDir(opts.dataDir);
    const lock = acquireDirLock(opts.dataDir);
    const m = new StorageManager(opts, lock);
    try {
      const [core, ...stores] = await Promise.all([
        m.core.call('open', {}),
        ...STORE_NAMES.map((s) => m.stores[s].client.call('open', {})),
      ]);
      m.journalSeq = core.result.journalSeq;
      m.storedEmbedder = core.result.embedder;
      STORE_NAMES.forEach((s, i) => {
        const st = m.stores[s];
        st.applied = stores[i]?.result.appliedSeq ?? 0;
        st.lastPosted = st.applied;
        if (st.applied > m.journalSeq) {
          throw new StrataError(
            'STORE_CORRUPT',
            `${s}.db has applied op ${st.applied} but the journal ends at ${m.journalSeq}: it belongs to another data directory`,
            { file: `${s}.db` },
          );
        }
      });
      m.prunedSeq = Math.min(...STORE_NAMES.map((s) => m.stores[s].applied));
      await m.reader.call('open', {});
      await Promise.all(STORE_NAMES.map((s) => m.catchUp(m.stores[s])));
      await m.verifyCounts();
      return m;
    } catch (err) {
      await m.shutdown();
      throw err;
    }
  }

  writeToAll(batch: WriteBatch): Promise<WriteResult> {
    return this.write(batch, STORE_NAMES);
  }

  writeToStore(store: StoreName, batch: WriteBatch): Promise<WriteResult> {
    if (!STORE_NAMES.includes(store)) {
      return Promise.reject(
        new StrataError('INVALID_INPUT', `store: expected one of ${STORE_NAMES.join(', ')}, got ${String(store)}`, {
          field: 'store',
        }),
      );
    }
    return this.write(batch, [store]);
  }

  private async write(batch: WriteBatch, targets: readonly StoreName[]): Promise<WriteResult> {
    this.assertOpen();
    const startedAt = nowMs();
    validateItems(batch.items);
    validateVectors(batch.vectors, batch.items.length, this.dim);
    const validatedAt = nowMs();
    let run: Promise<WriteResult>;
    if ((batch.mode ?? this.mode) === 'sequential') {
      // Sequential mode: one SQLite write at a time across the whole engine, like a loop over backends.
      run = this.serial.then(() => this.writeNow(batch, targets, startedAt, validatedAt));
      this.serial = run.catch(() => undefined);
    } else {
      run = this.writeNow(batch, targets, startedAt, validatedAt);
    }
    return this.writes.track(run);
  }

  private async writeNow(
    batch: WriteBatch,
    targets: readonly StoreName[],
    startedAt: number,
    validatedAt: number,
  ): Promise<WriteResult> {
    const spans: Span[] = [
      {
        stage: 'validate',
        start: 0,
        durationMs: validatedAt - startedAt,
        rows: batch.items.length,
        threadId: 0,
        status: 'ok',
      },
    ];
    try {
      // The vector writer gets the caller's buffer by transfer; it must own its whole buffer.
      let vectors = batch.vectors;
      if (vectors.byteOffset !== 0 || vectors.byteLength !== vectors.buffer.byteLength) vectors = vectors.slice();
      const provenance = itemLinks(batch.items);
      const appended: { result: AppendResult; timing: CallTiming } = await this.core.call('append', {
        writeId: randomUUID(),
        sessions: batch.sessions ?? [],
        messages: batch.messages ?? [],
        items: batch.items.map((it) => ({
          id: it.id,
          layer: it.layer,
          kind: it.kind,
          sessionId: it.sessionId,
          text: it.text,
          data: it.data ?? null,
          validFrom: it.validFrom ?? null,
          validTo: it.validTo ?? null,
        })),
        decisions: batch.decisions ?? [],
        // Copied, not transferred: the journal call must stay replayable if its worker dies.
        vectors,
        links: provenance,
        requireSessions: batch.requireSessions ?? [],
        stores: [...targets],
      });
      const { seq, rowids, nodes, links, messageSeqs } = appended.result;
      this.journalSeq = Math.max(this.journalSeq, seq);
      spans.push(span('journal', 'core', startedAt, appended.timing, batch.items.length, 'ok'));

      const items: ItemRow[] = batch.items.map((it, i) => ({
        rowid: rowids[i] as number,
        id: it.id,
        layer: it.layer,
        kind: it.kind,
        sessionId: it.sessionId,
        text: it.text,
      }));
      const graphNodes = nodes.concat(items.map(itemNode));
      const graphLinks = links.concat(provenance);
      const full: StoreOp = { kind: 'upsert', seq, prevSeq: 0, items, vectors, nodes: graphNodes, links: graphLinks };
      const opFor = (store: StoreName): StoreOp => sliceOp(store, full);

      const outcomes = {} as Record<StoreName, StoreOutcome>;
      const runStore = async (store: StoreName): Promise<void> => {
        const { outcome, span: s } = await this.applyLive(this.stores[store], opFor(store), startedAt);
        outcomes[store] = outcome;
        spans.push(s);
      };
      if ((batch.mode ?? this.mode) === 'sequential') {
        for (const s of targets) await runStore(s);
      } else {
        await Promise.all(targets.map(runStore));
      }
      for (const s of STORE_NAMES) {
        if (!targets.includes(s)) {
          outcomes[s] = { store: s, status: 'ok', rows: 0 };
          this.advanceUntargeted(this.stores[s], seq);
        }
      }
      const endedAt = nowMs();
      // The caller's own stages (embedding …) began before this write did: the trace starts with the first of them.
      const origin = Math.min(startedAt, ...(batch.before ?? []).map((b) => b.start));
      const shift = startedAt - origin;
      const before: Span[] = (batch.before ?? []).map((b) => ({
        stage: b.stage,
        start: b.start - origin,
        durationMs: b.end - b.start,
        rows: b.rows,
        threadId: b.threadId ?? 0,
        status: 'ok',
      }));
      const allSpans = [...before, ...spans.map((sp) => ({ ...sp, start: sp.start + shift }))].map((sp) =>
        batch.layer ? { ...sp, layer: batch.layer } : sp,
      );
      const trace: WriteTrace = {
        id: randomUUID(),
        kind: batch.kind ?? (targets.length === STORE_NAMES.length ? 'writeToAll' : `writeToStore.${targets[0]}`),
        mode: batch.mode ?? this.mode,
        startedAt: origin,
        totalMs: endedAt - origin,
        rows: batch.items.length,
        seq,
        spans: allSpans,
        ...(batch.notes && batch.notes.length > 0 && { notes: batch.notes }),
      };
      this.pendingTraces.push(trace);
      this.onTrace?.(trace);
      // Traces are persisted in batches, when idle or once enough have gathered, never inside a write's transaction.
      if (this.pendingTraces.length >= TRACE_FLUSH) void this.flushTraces().catch(() => undefined);
      return { seq, rowids, messageSeqs, outcomes, trace };
    } finally {
      this.scheduleIdle();
    }
  }

  /** A store that an op is not for still moves past it, so its next op's prevSeq lines up. */
  private advanceUntargeted(st: StoreState, seq: number): void {
    if (st.healthy && st.catchingUp === null && st.lastPosted < seq) {
      // Nothing to write: the store simply needs an empty op so its applied seq follows the journal.
      void this.applyLive(
        st,
        { kind: 'upsert', seq, prevSeq: 0, items: [], vectors: null, nodes: [], links: [] },
        nowMs(),
      );
    }
  }

  private async applyLive(
    st: StoreState,
    op: StoreOp,
    traceStart: number,
  ): Promise<{ outcome: StoreOutcome; span: Span }> {
    const rows = op.kind === 'upsert' ? Math.max(op.items.length, op.nodes.length) : op.nodeIds.length;
    if (!st.healthy || st.catchingUp !== null) {
      // The store is behind: the journal has this op, and catch-up will apply it in order.
      const error: WireError = st.lastError ?? { code: 'STORE_WRITE_FAILED', message: `${st.name}.db is catching up` };
      this.startCatchUp(st);
      return {
        outcome: { store: st.name, status: 'deferred', rows: 0, error },
        span: {
          stage: 'store',
          store: st.name,
          start: nowMs() - traceStart,
          durationMs: 0,
          rows,
          threadId: st.client.threadId,
          status: 'deferred',
          error,
        },
      };
    }
    op.prevSeq = st.lastPosted;
    st.lastPosted = op.seq;
    const transfer =
      op.kind === 'upsert' && op.vectors && op.vectors.byteLength > 0 ? [op.vectors.buffer as ArrayBuffer] : [];
    try {
      const { result, timing } = await st.client.call('apply', { op }, transfer);
      st.applied = Math.max(st.applied, result.appliedSeq);
      st.rowsSinceCheckpoint += result.rows;
      return {
        outcome: { store: st.name, status: 'ok', rows: result.rows },
        span: span('store', st.name, traceStart, timing, result.rows, 'ok'),
      };
    } catch (err) {
      const wire = toWire(err);
      const wasHealthy = st.healthy;
      this.markFailed(st, wire);
      const status = wasHealthy ? 'failed' : 'deferred';
      return {
        outcome: { store: st.name, status, rows: 0, error: wire },
        span: {
          stage: 'store',
          store: st.name,
          start: nowMs() - traceStart,
          durationMs: 0,
          rows,
          threadId: st.client.threadId,
          status,
          error: wire,
        },
      };
    }
  }

  private markFailed(st: StoreState, error: WireError): void {
    if (st.healthy) st.failures++;
    st.healthy = false;
    if ((error.details as { reason?: string } | undefined)?.reason !== 'out_of_order') st.lastError = error;
    this.scheduleRetry(st, error.code === 'WORKER_FAILED' ? 0 : st.retryDelay);
  }

  private scheduleRetry(st: StoreState, delay: number): void {
    if (this.closed || st.retryTimer) return;
    st.retryTimer = setTimeout(() => {
      st.retryTimer = null;
      this.startCatchUp(st);
    }, delay);
    st.retryTimer.unref();
  }

  private startCatchUp(st: StoreState): void {
    if (this.closed || st.catchingUp) return;
    void this.catchUp(st).catch(() => undefined);
  }

  /** Replays, in order, every journaled op the store has not applied; the store is healthy again once it reaches the journal's end. */
  private catchUp(st: StoreState): Promise<void> {
    if (st.catchingUp) return st.catchingUp;
    const run = async (): Promise<void> => {
      if (st.forceRebuild) {
        st.forceRebuild = false;
        await this.rebuild(st);
      }
      for (;;) {
        if (st.applied >= this.journalSeq) {
          st.lastPosted = st.applied;
          st.healthy = true;
          st.retryDelay = this.retryBaseMs;
          return;
        }
        const { result: ops } = await this.core.call('readOps', { afterSeq: st.applied, maxRows: CATCH_UP_ROWS });
        if (ops.length === 0 || (ops[0]?.seq ?? 0) > st.applied + 1) {
          // The ops it needs were pruned (a store file replaced or recreated): only a full rebuild can restore it.
          await this.rebuild(st);
          continue;
        }
        for (const jop of ops) await this.applyReplayed(st, jop);
      }
    };
    st.catchingUp = run()
      .catch((err: unknown) => {
        const wire = toWire(err);
        st.lastError = wire;
        st.healthy = false;
        st.retryDelay = Math.min(st.retryDelay * 2, MAX_RETRY_MS);
        this.scheduleRetry(st, st.retryDelay);
        throw err;
      })
      .finally(() => {
        st.catchingUp = null;
      });
    return st.catchingUp;
  }

  private async applyReplayed(st: StoreState, jop: JournalOp): Promise<void> {
    const op: StoreOp = jop.stores.includes(st.name)
      ? { ...sliceOp(st.name, jop.op), prevSeq: st.applied }
      : { kind: 'upsert', seq: jop.seq, prevSeq: st.applied, items: [], vectors: null, nodes: [], links: [] };
    const { result } = await st.client.call('apply', { op }, transferOf(op));
    st.applied = Math.max(st.applied, result.appliedSeq);
    st.lastPosted = st.applied;
    st.rowsSinceCheckpoint += result.rows;
  }

  /**
   * Rebuilds a store from the journal's current contents: empties it, loads the
   * journal in pages, marks it as having applied the journal's sequence at the
   * start, then replays from the outbox whatever was written meanwhile.
   */
  private async rebuild(st: StoreState): Promise<void> {
    const upTo = this.journalSeq;
    await st.client.call('reset', {});
    st.applied = 0;
    let cursor: SnapshotCursor | null = null;
    do {
      const page: SnapshotPage = (await this.core.call('readSnapshot', { cursor, maxRows: CATCH_UP_ROWS })).result;
      const op = sliceOp(st.name, page.op);
      await st.client.call('load', { op }, transferOf(op));
      cursor = page.next;
    } while (cursor);
    await st.client.call('setApplied', { seq: upTo });
    st.applied = upTo;
    st.lastPosted = upTo;
    st.rebuilds++;
  }

  /**
   * Replaces every item's vector with the given embedder's, then rebuilds the vector store and records the
   * embedder. Interrupted, the directory still names the old embedder, so the next open re-embeds again.
   */
  async reembed(
    embed: (texts: string[]) => Promise<Float32Array>,
    embedderId: string,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    this.assertOpen();
    const page = 256;
    let done = 0;
    for (let offset = 0; ; offset += page) {
      const { items, total } = (await this.reader.call('listItems', { limit: page, offset })).result;
      if (items.length > 0) {
        const vectors = await embed(items.map((i) => i.text));
        await this.core.call('setVectors', { ids: items.map((i) => i.id), vectors });
        done += items.length;
      }
      onProgress?.(done, total);
      if (items.length < page) break;
    }
    await this.rebuildStore('vector');
    await this.core.call('setEmbedder', { id: embedderId });
    this.storedEmbedder = embedderId;
  }

  /** Empties a store and rebuilds it from the journal (for a store file that lost data underneath the engine). */
  async rebuildStore(store: StoreName): Promise<void> {
    this.assertOpen();
    const st = this.stores[store];
    if (st.catchingUp) await st.catchingUp.catch(() => undefined);
    st.forceRebuild = true;
    await this.catchUp(st);
  }

  /** After open: a store current by sequence must also hold exactly the journal's rows, or it is rebuilt. */
  private async verifyCounts(): Promise<void> {
    const { result: journal } = await this.core.call('itemCounts', {});
    for (const s of STORE_NAMES) {
      const st = this.stores[s];
      if (st.applied !== this.journalSeq) continue;
      const c = (await this.reader.call('storeCounts', { store: s })).result;
      const held = s === 'graph' ? `${c.nodes ?? 0} nodes and ${c.edges ?? 0} edges` : `${c.rows} rows`;
      const want = s === 'graph' ? `${journal.nodes} nodes and ${journal.edges} edges` : `${journal.items} rows`;
      if (held !== want) {
        st.lastError = {
          code: 'STORE_CORRUPT',
          message: `${s}.db holds ${held} where the journal has ${want}; rebuilt from the journal`,
        };
        await this.rebuildStore(s);
      }
    }
  }

  private onWorkerRestart(name: StoreName): void {
    const st = this.stores[name];
    st.healthy = false;
    st.lastError = { code: 'WORKER_FAILED', message: `${name} worker died and was restarted` };
    this.scheduleRetry(st, 0);
  }

  /** Deletes messages and everything derived from them, from the journal and every store. */
  deleteMessages(
    messageIds: string[],
  ): Promise<DeleteResult & { outcomes: Record<StoreName, StoreOutcome>; trace: WriteTrace }> {
    this.assertOpen();
    return this.writes.track(this.deleteWith('deleteMessages', () => this.core.call('deleteMessages', { messageIds })));
  }

  deleteSession(
    sessionId: string,
  ): Promise<DeleteResult & { outcomes: Record<StoreName, StoreOutcome>; trace: WriteTrace }> {
    this.assertOpen();
    return this.writes.track(this.deleteWith('deleteSession', () => this.core.call('deleteSession', { sessionId })));
  }

  /** Deletes derived items (and what derives from them) from the journal and every store. */
  deleteItems(
    itemIds: string[],
  ): Promise<DeleteResult & { outcomes: Record<StoreName, StoreOutcome>; trace: WriteTrace }> {
    this.assertOpen();
    return this.writes.track(this.deleteWith('deleteItems', () => this.core.call('deleteItems', { itemIds })));
  }

  private async deleteWith(
    kind: string,
    journal: () => Promise<{ result: DeleteResult; timing: CallTiming }>,
  ): Promise<DeleteResult & { outcomes: Record<StoreName, StoreOutcome>; trace: WriteTrace }> {
    const start = nowMs();
    const { result, timing } = await journal();
    this.journalSeq = Math.max(this.journalSeq, result.seq);
    const spans: Span[] = [span('journal', 'core', start, timing, result.nodeIds.length, 'ok')];
    const outcomes = {} as Record<StoreName, StoreOutcome>;
    const run = async (s: StoreName): Promise<void> => {
      const op = sliceOp(s, {
        kind: 'delete',
        seq: result.seq,
        prevSeq: 0,
        itemRowids: result.itemRowids,
        nodeIds: result.nodeIds,
      });
      const applied = await this.applyLive(this.stores[s], op, start);
      outcomes[s] = applied.outcome;
      spans.push(applied.span);
    };
    if (this.mode === 'sequential') {
      for (const s of STORE_NAMES) await run(s);
    } else {
      await Promise.all(STORE_NAMES.map(run));
    }
    const trace: WriteTrace = {
      id: randomUUID(),
      kind,
      mode: this.mode,
      startedAt: start,
      totalMs: nowMs() - start,
      rows: result.nodeIds.length,
      seq: result.seq,
      spans,
    };
    this.pendingTraces.push(trace);
    this.onTrace?.(trace);
    this.scheduleIdle();
    return { ...result, outcomes, trace };
  }

  /** Retries every unhealthy store now instead of waiting for its backoff. Resolves when each attempt ends. */
  async retryNow(): Promise<void> {
    await Promise.all(
      STORE_NAMES.map(async (s) => {
        const st = this.stores[s];
        if (st.retryTimer) {
          clearTimeout(st.retryTimer);
          st.retryTimer = null;
        }
        if (!st.healthy || st.applied < this.journalSeq) await this.catchUp(st).catch(() => undefined);
      }),
    );
  }

  /** Resolves once every store has applied everything journaled so far (or rejects with the first store's error). */
  async settle(): Promise<void> {
    await Promise.all(STORE_NAMES.map((s) => this.stores[s].catchingUp ?? Promise.resolve()));
  }

  status(): StorageStatus {
    const stores: StoreStatus[] = STORE_NAMES.map((s) => {
      const st = this.stores[s];
      return {
        store: s,
        appliedSeq: st.applied,
        healthy: st.healthy && st.catchingUp === null,
        pendingOps: Math.max(0, this.journalSeq - st.applied),
        failures: st.failures,
        lastError: st.lastError,
        workerRestarts: st.client.restarts,
        rebuilds: st.rebuilds,
      };
    });
    return {
      dataDir: this.dataDir,
      mode: this.mode,
      journalSeq: this.journalSeq,
      dim: this.dim,
      stores,
      journalWorkerRestarts: this.core.restarts,
      open: !this.closed,
    };
  }

  async listTraces(limit = 100, beforeId?: number): Promise<WriteTrace[]> {
    this.assertOpen();
    await this.flushTraces();
    return (await this.reader.call('listTraces', beforeId === undefined ? { limit } : { limit, beforeId })).result;
  }

  async storeIds(store: StoreName | 'core'): Promise<string[]> {
    this.assertOpen();
    return (await this.reader.call('storeIds', { store })).result;
  }

  async storeCounts(store: StoreName | 'core'): Promise<StoreCounts> {
    this.assertOpen();
    return (await this.reader.call('storeCounts', { store })).result;
  }

  async listSessions(): Promise<SessionRow[]> {
    this.assertOpen();
    return (await this.reader.call('listSessions', {})).result;
  }

  async listMessages(sessionId: string): Promise<Message[]> {
    this.assertOpen();
    return (await this.reader.call('listMessages', { sessionId })).result;
  }

  /**
   * One search source, on its own read connection so the sources scan in parallel: vectors and keywords each get a
   * reader worker of their own (started on the first query), the graph and hydration use the shared reader.
   */
  async search<K extends keyof SearchMethods & string>(
    method: K,
    params: Params<ReaderMethods, K>,
  ): Promise<{ result: Result<ReaderMethods, K>; timing: CallTiming }> {
    this.assertOpen();
    let client = this.reader;
    if (method === 'vectorSearch' || method === 'keywordSearch') {
      let own = this.searchers.get(method);
      if (!own) {
        const c = new WorkerClient('reader', { ...this.readerInit }, this.entry);
        own = { client: c, opened: c.call('open', {}).then(() => undefined) };
        this.searchers.set(method, own);
      }
      await own.opened;
      client = own.client;
    }
    const { result, timing } = await client.call(method, params);
    return { result: result as Result<ReaderMethods, K>, timing };
  }

  /** Any read of the journal and stores, on the reader worker. */
  async read<K extends keyof ReaderMethods & string>(
    method: K,
    params: Params<ReaderMethods, K>,
  ): Promise<Result<ReaderMethods, K>> {
    this.assertOpen();
    return (await this.reader.call(method, params)).result;
  }

  /** Kills a worker thread as a crash would; the manager restarts it and replays its pending work. */
  async crashWorker(role: StoreName | 'core'): Promise<void> {
    await (role === 'core' ? this.core : this.stores[role].client).crash();
  }

  /**
   * Flushes run one after another: a caller (listTraces) must not find the list empty and read while an earlier
   * flush (idle maintenance) still holds its traces uncommitted.
   */
  private flushTraces(): Promise<void> {
    const run = this.traceFlush.then(() => this.flushTracesNow());
    this.traceFlush = run.catch(() => undefined);
    return run;
  }

  private async flushTracesNow(): Promise<void> {
    if (this.pendingTraces.length === 0) return;
    const traces = this.pendingTraces;
    this.pendingTraces = [];
    try {
      await this.core.call('writeTraces', { traces });
    } catch (err) {
      this.pendingTraces = traces.concat(this.pendingTraces);
      throw err;
    }
  }

  private scheduleIdle(): void {
    if (this.closed) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.writes.size === 0) void this.maintain().catch(() => undefined);
    }, IDLE_MS);
    this.idleTimer.unref();
    // Under sustained load there is no idle moment: checkpoint a store whose WAL has grown large.
    for (const s of STORE_NAMES) {
      const st = this.stores[s];
      if (st.rowsSinceCheckpoint >= CHECKPOINT_ROWS && st.healthy) {
        st.rowsSinceCheckpoint = 0;
        void st.client.call('checkpoint', {}).catch(() => undefined);
      }
    }
  }

  /** Idle work, off every write's path: persist traces, prune the outbox, checkpoint the WAL files. */
  private async maintain(): Promise<void> {
    await this.flushTraces();
    const minApplied = Math.min(...STORE_NAMES.map((s) => this.stores[s].applied));
    if (minApplied > this.prunedSeq) {
      await this.core.call('pruneOutbox', { upToSeq: minApplied });
      this.prunedSeq = minApplied;
    }
    await Promise.all([
      this.core.call('checkpoint', {}),
      ...STORE_NAMES.map((s) => {
        this.stores[s].rowsSinceCheckpoint = 0;
        return this.stores[s].client.call('checkpoint', {});
      }),
    ]);
  }

  private assertOpen(): void {
    if (this.closed) throw new StrataError('ENGINE_CLOSED', `the engine for ${this.dataDir} is closed`);
  }

  /** Waits for in-flight store work, persists traces, and stops every worker. A second close is an error. */
  async close(): Promise<void> {
    if (this.closed) throw new StrataError('ALREADY_CLOSED', `the engine for ${this.dataDir} is already closed`);
    // Set now, not after the awaits: a second close or a new write during shutdown is refused at once.
    this.closed = true;
    await this.writes.drain();
    await Promise.allSettled(STORE_NAMES.map((s) => this.stores[s].catchingUp ?? Promise.resolve()));
    await this.flushTraces().catch(() => undefined);
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const s of STORE_NAMES) {
      const t = this.stores[s].retryTimer;
      if (t) clearTimeout(t);
    }
    // Readers first, so each writer's checkpoint at close can fold its whole WAL back.
    await Promise.allSettled([this.reader.close(), ...[...this.searchers.values()].map((s) => s.client.close())]);
    await Promise.allSettled([this.core.close(), ...STORE_NAMES.map((s) => this.stores[s].client.close())]);
    this.lock.release();
  }
}

/** The part of an op a store needs: vectors to the vector store, text to the keyword store, nodes and edges to the graph. */
function sliceOp(store: StoreName, op: StoreOp): StoreOp {
  if (op.kind === 'delete') {
    return { ...op, itemRowids: store === 'graph' ? [] : op.itemRowids, nodeIds: store === 'graph' ? op.nodeIds : [] };
  }
  return {
    kind: 'upsert',
    seq: op.seq,
    prevSeq: op.prevSeq,
    items: store === 'graph' ? [] : op.items,
    vectors: store === 'vector' ? op.vectors : null,
    nodes: store === 'graph' ? op.nodes : [],
    links: store === 'graph' ? op.links : [],
  };
}

function transferOf(op: StoreOp): ArrayBuffer[] {
  return op.kind === 'upsert' && op.vectors && op.vectors.byteLength > 0 ? [op.vectors.buffer as ArrayBuffer] : [];
}

function itemLinks(items: ItemInput[]): LinkRow[] {
  const links: LinkRow[] = [];
  for (const it of items) {
    for (const dst of it.sources) links.push({ src: it.id, dst, kind: 'derived_from' });
    for (const l of it.links ?? []) links.push({ src: it.id, dst: l.dst, kind: l.kind });
  }
  return links;
}

function span(
  stage: string,
  store: StoreName | 'core',
  traceStart: number,
  t: CallTiming,
  rows: number,
  status: Span['status'],
): Span {
  return {
    stage,
    store,
    start: t.t0 - traceStart,
    durationMs: t.t1 - t.t0,
    queuedMs: Math.max(0, t.t0 - t.sentAt),
    rows,
    threadId: t.threadId,
    status,
  };
}

function toWire(err: unknown): WireError {
  return err instanceof StrataError ? err.toWire() : { code: 'INTERNAL', message: String(err) };
}

/**
 * mkdir -p with a bound: Node's recursive mkdir loops forever on some virtual
 * file systems (procfs answers ENOENT for a child of a directory that exists).
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  let cur = resolve(dir);
  while (!existsSync(cur)) {
    missing.push(cur);
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const d of missing.reverse()) mkdirSync(d);
}

function ensureWritableDir(dir: string): void {
  const probe = join(dir, `.strata-probe-${process.pid}`);
  try {
    makeDirs(dir);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    throw new StrataError(
      'DIR_NOT_WRITABLE',
      `data directory ${dir} is not writable: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      { dir },
    );
  }
}

export type { GraphNodeRow };
