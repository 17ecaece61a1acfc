/**
 * The storage manager: opens and closes the data directory (its lock, the journal, the reader and one lane per
 * store), journals each write first and fans the journal's op out to the vector, keyword and graph lanes, in
 * parallel (or one after another in `sequential` mode, for honest comparison), and reports status and traces.
 * Each store's writer invariants (prevSeq chain, health, retry, catch-up, rebuild) live in its `StoreLane`; the
 * op itself is built by the journal (store-op.ts). Never touches SQLite itself: every file lives on a worker.
 * A little over 400 lines because the public surface that the engine, layers, retrieval and app call stays on this
 * one class (each method a few lines); the lane, the op, traces, reads and re-embed live in their own files.
 */
import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '../../../shared/edit-schema';
import { StrataError, type WireError } from '../../../shared/errors';
import {
  type IsolateMemory,
  type Span,
  STORE_NAMES,
  type StorageStatus,
  type StoreName,
  type WriteMode,
  type WriteTrace,
} from '../../../shared/types';
import { InFlight } from '../in-flight';
import { type CallTiming, WorkerClient, workerEntry } from '../workers/client';
import type { GraphNodeRow, JournalDelete, StoreInit, StoreOp } from '../workers/protocol';
import { nowMs } from '../workers/protocol';
import { ensureWritableDir } from './data-dir';
import { acquireDirLock, type DirLock } from './lock';
import type { DeleteOutcome, StorageOptions, WriteBatch, WriteResult } from './manager-types';
import { reembedAll } from './reembed';
import { StorageReads } from './storage-reads';
import { type LaneJournal, StoreLane, type StoreOutcome } from './store-lane';
import { itemLinks, sliceOp } from './store-op';
import { validateItems, validateVectors } from './validate';
import { assembleTrace, callSpan, TraceLog } from './write-trace';

export type { DeleteOutcome, StorageOptions, StoreOutcome, WriteBatch, WriteResult };

const IDLE_MS = 300;

export class StorageManager extends StorageReads {
  readonly dim: number;
  mode: WriteMode;
  private readonly core: WorkerClient<'core'>;
  private readonly lanes: Record<StoreName, StoreLane>;
  private journalSeq = 0;
  /** The embedder the journal's vectors came from (differs from the engine's only while re-embedding). */
  storedEmbedder = '';
  private prunedSeq = 0;
  /** Rows journaled since core.db's last checkpoint (see `checkpointRows`). */
  private journalRowsSinceCheckpoint = 0;
  private readonly checkpointRows: number;
  private serial: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | null = null;
  /** Writes and deletes still running: close() lets them finish, idle maintenance waits for none. */
  private readonly writes = new InFlight();
  /** Called with every write trace as it is made (the app streams them to the window). */
  onTrace: ((trace: WriteTrace) => void) | null = null;
  private readonly traces: TraceLog;

  private constructor(
    opts: Required<StorageOptions>,
    private readonly lock: DirLock,
  ) {
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
    super(opts.dataDir, init('reader'), entry);
    this.dim = opts.dim;
    this.mode = opts.mode;
    this.checkpointRows = opts.checkpointRows;
    this.core = new WorkerClient('core', init('core'), entry);
    this.traces = new TraceLog(
      (traces) => this.core.call('writeTraces', { traces }).then(() => undefined),
      (trace) => this.onTrace?.(trace),
    );
    const journal: LaneJournal = {
      seq: () => this.journalSeq,
      readOps: async (afterSeq, maxRows) => (await this.core.call('readOps', { afterSeq, maxRows })).result,
      readSnapshot: async (cursor, maxRows) => (await this.core.call('readSnapshot', { cursor, maxRows })).result,
    };
    const lane = (name: StoreName) =>
      new StoreLane(name, init(name), entry, journal, opts.retryBaseMs, opts.checkpointRows);
    this.lanes = { vector: lane('vector'), keyword: lane('keyword'), graph: lane('graph') };
  }

  /** Every storage worker's own memory report: the journal, each store's writer, and the readers. */
  memory(): Promise<IsolateMemory[]> {
    this.assertOpen();
    return Promise.all([
      this.core.memory(),
      ...STORE_NAMES.map((s) => this.lanes[s].client.memory()),
      ...this.readerMemory(),
    ]);
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
      checkpointRows: 20_000,
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
      const [core, ...applied] = await Promise.all([
        m.core.call('open', {}),
        ...STORE_NAMES.map((s) => m.lanes[s].open()),
      ]);
      m.journalSeq = core.result.journalSeq;
      m.storedEmbedder = core.result.embedder;
      STORE_NAMES.forEach((s, i) => {
        const seq = applied[i] ?? 0;
        if (seq > m.journalSeq) {
          throw new StrataError(
            'STORE_CORRUPT',
            `${s}.db has applied op ${seq} but the journal ends at ${m.journalSeq}: it belongs to another data directory`,
            { file: `${s}.db` },
          );
        }
      });
      m.prunedSeq = Math.min(...STORE_NAMES.map((s) => m.lanes[s].applied));
      await m.reader.call('open', {});
      await Promise.all(STORE_NAMES.map((s) => m.lanes[s].catchUp()));
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
      // The journal gets a whole buffer of its own (copied, not transferred: the call must stay replayable if its
      // worker dies); the op it answers with carries that buffer back, by transfer, for the vector lane.
      let vectors = batch.vectors;
      if (vectors.byteOffset !== 0 || vectors.byteLength !== vectors.buffer.byteLength) vectors = vectors.slice();
      const appended = await this.core.call('append', {
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
        vectors,
        links: itemLinks(batch.items),
        requireSessions: batch.requireSessions ?? [],
        ...(batch.newSessions && { newSessions: true }),
        stores: [...targets],
      });
      const { seq, rowids, messageSeqs, op } = appended.result;
      this.journalSeq = Math.max(this.journalSeq, seq);
      this.journalRowsSinceCheckpoint += batch.items.length + (batch.messages?.length ?? 0);
      spans.push(callSpan('journal', 'core', startedAt, appended.timing, batch.items.length, 'ok'));
      const mode = batch.mode ?? this.mode;
      const outcomes = await this.fanOut(op, targets, startedAt, spans, mode);
      const trace = assembleTrace({
        kind: batch.kind ?? (targets.length === STORE_NAMES.length ? 'writeToAll' : `writeToStore.${targets[0]}`),
        mode,
        startedAt,
        spans,
        rows: batch.items.length,
        seq,
        ...(batch.before && { before: batch.before }),
        ...(batch.layer && { layer: batch.layer }),
        ...(batch.notes && { notes: batch.notes }),
      });
      this.traces.record(trace);
      return { seq, rowids, messageSeqs, outcomes, trace };
    } finally {
      this.scheduleIdle();
    }
  }

  /** One journaled op to its stores' lanes; a store it is not for just moves past its seq. */
  private async fanOut(
    op: StoreOp,
    targets: readonly StoreName[],
    startedAt: number,
    spans: Span[],
    mode: WriteMode = this.mode,
  ): Promise<Record<StoreName, StoreOutcome>> {
    const outcomes = {} as Record<StoreName, StoreOutcome>;
    const run = async (store: StoreName): Promise<void> => {
      const applied = await this.lanes[store].apply(sliceOp(store, op), startedAt);
      outcomes[store] = applied.outcome;
      spans.push(applied.span);
    };
    if (mode === 'sequential') {
      for (const s of targets) await run(s);
    } else {
      await Promise.all(targets.map(run));
    }
    for (const s of STORE_NAMES) {
      if (!targets.includes(s)) {
        outcomes[s] = { store: s, status: 'ok', rows: 0 };
        this.lanes[s].follow(op.seq);
      }
    }
    return outcomes;
  }

  /** Deletes messages and everything derived from them, from the journal and every store. */
  /** Records a correct or a forget in the journal's audit log (engine/edits.ts); resolves with its id. */
  appendAudit(entry: Omit<AuditEntry, 'id'>): Promise<number> {
    this.assertOpen();
    return this.writes.track(this.core.call('appendAudit', { entry }).then((r) => r.result.id));
  }

  deleteMessages(messageIds: string[]): Promise<DeleteOutcome> {
    this.assertOpen();
    return this.writes.track(this.deleteWith('deleteMessages', () => this.core.call('deleteMessages', { messageIds })));
  }

  deleteSession(sessionId: string): Promise<DeleteOutcome> {
    this.assertOpen();
    return this.writes.track(this.deleteWith('deleteSession', () => this.core.call('deleteSession', { sessionId })));
  }

  /** Deletes derived items (and what derives from them) from the journal and every store. */
  deleteItems(itemIds: string[]): Promise<DeleteOutcome> {
    this.assertOpen();
    return this.writes.track(this.deleteWith('deleteItems', () => this.core.call('deleteItems', { itemIds })));
  }

  private async deleteWith(
    kind: string,
    journal: () => Promise<{ result: JournalDelete; timing: CallTiming }>,
  ): Promise<DeleteOutcome> {
    const startedAt = nowMs();
    try {
      const { result, timing } = await journal();
      const { op, ...deleted } = result;
      this.journalSeq = Math.max(this.journalSeq, deleted.seq);
      const spans: Span[] = [callSpan('journal', 'core', startedAt, timing, deleted.nodeIds.length, 'ok')];
      const outcomes = await this.fanOut(op, STORE_NAMES, startedAt, spans);
      const trace = assembleTrace({
        kind,
        mode: this.mode,
        startedAt,
        spans,
        rows: deleted.nodeIds.length,
        seq: deleted.seq,
      });
      this.traces.record(trace);
      // Off the delete's path, but tracked so that close() waits for it.
      void this.writes.track(this.compactAll()).catch(() => undefined);
      return { ...deleted, outcomes, trace };
    } finally {
      this.scheduleIdle();
    }
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
    await reembedAll(
      {
        listItems: async (offset, limit) => (await this.reader.call('listItems', { limit, offset })).result,
        setVectors: async (ids, vectors, done, total) => {
          await this.core.call('setVectors', { ids, vectors, to: embedderId, done, total });
        },
        commitVectors: async () => {
          await this.core.call('commitReembed', { to: embedderId });
        },
        rebuildVectors: () => this.rebuildStore('vector'),
        setEmbedder: async (id) => {
          await this.core.call('setEmbedder', { id });
        },
      },
      embed,
      embedderId,
      onProgress,
    );
    this.storedEmbedder = embedderId;
  }

  /** Empties a store and rebuilds it from the journal (for a store file that lost data underneath the engine). */
  async rebuildStore(store: StoreName): Promise<void> {
    this.assertOpen();
    await this.lanes[store].rebuildNow();
  }

  /** After open: a store current by sequence must also hold exactly the journal's rows, or it is rebuilt. */
  private async verifyCounts(): Promise<void> {
    const { result: journal } = await this.core.call('itemCounts', {});
    for (const s of STORE_NAMES) {
      if (this.lanes[s].applied !== this.journalSeq) continue;
      const c = (await this.reader.call('storeCounts', { store: s })).result;
      const held = s === 'graph' ? `${c.nodes ?? 0} nodes and ${c.edges ?? 0} edges` : `${c.rows} rows`;
      const want = s === 'graph' ? `${journal.nodes} nodes and ${journal.edges} edges` : `${journal.items} rows`;
      if (held !== want) {
        await this.lanes[s].rebuildNow({
          code: 'STORE_CORRUPT',
          message: `${s}.db holds ${held} where the journal has ${want}; rebuilt from the journal`,
        });
      }
    }
  }

  /** Retries every unhealthy store now instead of waiting for its backoff. Resolves when each attempt ends. */
  async retryNow(): Promise<void> {
    await Promise.all(STORE_NAMES.map((s) => this.lanes[s].retryNow()));
  }

  /** Resolves once every store has applied everything journaled so far (or rejects with the first store's error). */
  async settle(): Promise<void> {
    await Promise.all(STORE_NAMES.map((s) => this.lanes[s].settled()));
  }

  protected override storeFault(store: StoreName): WireError | null {
    return this.lanes[store].readableNow();
  }

  protected override storeFailed(store: StoreName, error: WireError): void {
    this.lanes[store].faulted(error);
  }

  status(): StorageStatus {
    return {
      dataDir: this.dataDir,
      mode: this.mode,
      journalSeq: this.journalSeq,
      dim: this.dim,
      stores: STORE_NAMES.map((s) => this.lanes[s].status(this.journalSeq)),
      journalWorkerRestarts: this.core.restarts,
      open: !this.closed,
    };
  }

  async listTraces(limit = 100, beforeId?: number): Promise<WriteTrace[]> {
    this.assertOpen();
    await this.traces.flush();
    return this.readOwn('now', 'listTraces', beforeId === undefined ? { limit } : { limit, beforeId });
  }

  /** Kills a worker thread as a crash would; the manager restarts it and replays its pending work. */
  async crashWorker(role: StoreName | 'core'): Promise<void> {
    await (role === 'core' ? this.core : this.lanes[role].client).crash();
  }

  /** After a delete: every file checkpointed with its WAL truncated, free pages given back where that pays. */
  private async compactAll(): Promise<void> {
    // The delete op itself names what was deleted (ids can carry words): it goes once every store has applied it.
    await this.pruneOutbox().catch(() => undefined);
    await Promise.allSettled([this.core.call('compact', {}), ...STORE_NAMES.map((s) => this.lanes[s].compact())]);
  }

  /** Drops the outbox ops every store has applied. */
  private async pruneOutbox(): Promise<void> {
    const minApplied = Math.min(...STORE_NAMES.map((s) => this.lanes[s].applied));
    if (minApplied > this.prunedSeq) {
      await this.core.call('pruneOutbox', { upToSeq: minApplied });
      this.prunedSeq = minApplied;
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
    // A long import is never idle: each writer folds its WAL back every `checkpointRows` rows instead (PASSIVE, so
    // no reader is waited for; the next write then reuses the WAL from its start, cut back to journal_size_limit).
    if (this.journalRowsSinceCheckpoint >= this.checkpointRows) {
      this.journalRowsSinceCheckpoint = 0;
      void this.core.call('checkpoint', {}).catch(() => undefined);
    }
    for (const s of STORE_NAMES) this.lanes[s].checkpointIfLarge();
  }

  /** Idle work, off every write's path: persist traces, prune the outbox, checkpoint the WAL files. */
  private async maintain(): Promise<void> {
    await this.traces.flush();
    await this.pruneOutbox();
    this.journalRowsSinceCheckpoint = 0;
    await Promise.all([this.core.call('checkpoint', {}), ...STORE_NAMES.map((s) => this.lanes[s].checkpoint())]);
  }

  /** Waits for in-flight store work, persists traces, and stops every worker. A second close is an error. */
  async close(): Promise<void> {
    if (this.closed) throw new StrataError('ALREADY_CLOSED', `the engine for ${this.dataDir} is already closed`);
    // Set now, not after the awaits: a second close or a new write during shutdown is refused at once.
    this.closed = true;
    await this.writes.drain();
    await Promise.allSettled(STORE_NAMES.map((s) => this.lanes[s].settled()));
    await this.traces.flush().catch(() => undefined);
    await this.pruneOutbox().catch(() => undefined);
    await this.shutdown();
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    for (const s of STORE_NAMES) this.lanes[s].stop();
    // Readers first, so each writer's checkpoint at close can fold its whole WAL back.
    await this.closeReaders();
    await Promise.allSettled([this.core.close(), ...STORE_NAMES.map((s) => this.lanes[s].close())]);
    this.lock.release();
  }
}

export type { GraphNodeRow };
