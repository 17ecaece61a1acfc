/**
 * One store's writer, as seen from the main thread: its worker, the `prevSeq` chain of the ops posted to it, its
 * health, the retry with backoff after a failure, the catch-up from the journal's outbox, and the rebuild from the
 * journal's contents. The lane owns these invariants; the manager only fans ops out to its lanes and reports them.
 */
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { WireError } from '../../../shared/errors';
import type { Span, StoreName, StoreStatus } from '../../../shared/types';
import { WorkerClient } from '../workers/client';
import type { JournalOp, SnapshotCursor, SnapshotPage, StoreInit, StoreOp } from '../workers/protocol';
import { nowMs } from '../workers/protocol';
import { type FileIdentity, fileFault, identityOf, isFileFault, keepCopy, setAside } from './file-watch';
import { emptyOp, sliceOp, transferOf } from './store-op';
import { skippedSpan, storeSpan, toWire } from './write-trace';

/** What a lane needs of the journal: where it ends, and its ops and contents in pages. */
export interface LaneJournal {
  seq(): number;
  readOps(afterSeq: number, maxRows: number): Promise<JournalOp[]>;
  readSnapshot(cursor: SnapshotCursor | null, maxRows: number): Promise<SnapshotPage>;
}

export type StoreOutcome =
  | { store: StoreName; status: 'ok'; rows: number }
  | { store: StoreName; status: 'failed' | 'deferred'; rows: 0; error: WireError };

const CATCH_UP_ROWS = 2_000;
const MAX_RETRY_MS = 10_000;

export class StoreLane {
  readonly client: WorkerClient<StoreName>;
  /** The last seq the store's file has applied (as it last told us). */
  applied = 0;
  /** Seq of the last op posted; the next op names it as its prevSeq. */
  private lastPosted = 0;
  private healthy = true;
  private catchingUp: Promise<void> | null = null;
  private failures = 0;
  private lastError: WireError | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay: number;
  private rowsSinceCheckpoint = 0;
  private rebuilds = 0;
  private forceRebuild = false;
  private stopped = false;
  /** The file as the writer opened it: a different (or no) file at the path means it was deleted or replaced. */
  private identity: FileIdentity | null = null;
  /** Set while the file is known bad (missing, replaced, corrupt) until it has been set aside and rebuilt. */
  private fault: WireError | null = null;
  private recovering: Promise<void> | null = null;
  private rebuilding = false;
  readonly file: string;

  constructor(
    readonly name: StoreName,
    init: StoreInit,
    entry: string,
    private readonly journal: LaneJournal,
    private readonly retryBaseMs: number,
    /** Checkpoint the store's WAL after this many rows even when the engine is never idle. */
    private readonly checkpointRows: number,
    private readonly dataDir: string = init.dataDir,
  ) {
    this.retryDelay = retryBaseMs;
    this.file = join(dataDir, `${name}.db`);
    this.client = new WorkerClient(name, init, entry, () => this.onWorkerRestart());
  }

  /**
   * Opens the store's file; returns the seq it has applied. A corrupt file does not stop the engine: the journal
   * can rebuild it, so the damaged file is kept aside (renamed, never overwritten) and a new one is rebuilt.
   */
  async open(): Promise<number> {
    let result: { appliedSeq: number };
    try {
      result = (await this.client.call('open', {})).result;
    } catch (err) {
      const wire = toWire(err);
      if (wire.code !== 'STORE_CORRUPT') throw err;
      const file = join(this.dataDir, `${this.name}.db`);
      const keptAs = setAside(file);
      this.failures++;
      this.lastError = {
        code: 'STORE_CORRUPT',
        message: `${this.name}.db was corrupt (${wire.message}); kept as ${basename(keptAs)} and rebuilt from the journal`,
        details: { file, keptAs },
      };
      this.forceRebuild = true;
      result = (await this.client.call('open', {})).result;
    }
    this.identity = identityOf(this.file);
    this.applied = result.appliedSeq;
    this.lastPosted = this.applied;
    return this.applied;
  }

  /**
   * Whether queries may read the store now; looks at the file itself (deleted, replaced, not a database any more),
   * so a fault is noticed before any read fails. A fault found here starts the automatic rebuild.
   */
  readableNow(): WireError | null {
    this.look();
    if (this.fault) return this.fault;
    if (this.rebuilding) {
      return {
        code: 'STORE_UNAVAILABLE',
        message: `${this.name}.db is being rebuilt from the journal`,
        details: { file: this.file },
      };
    }
    return null;
  }

  private look(): void {
    if (this.fault || this.recovering || this.stopped || !this.identity) return;
    const found = fileFault(this.file, this.identity);
    if (found) this.faulted(found);
  }

  /**
   * The store's file is bad (a read or a write said so, or the file is gone or replaced): mark the store unhealthy
   * with the typed error, then set the file aside and rebuild the store from the journal, in the background.
   * Errors that are not about the file (a busy lock, a bad request) are ignored here.
   */
  faulted(error: WireError): void {
    if (!isFileFault(error.code) || this.stopped) return;
    const file = (error.details as { file?: string } | undefined)?.file;
    if (file !== undefined && basename(file) !== basename(this.file)) return;
    if (!this.fault) this.failures++;
    const typed: WireError = { ...error, details: { ...(error.details ?? {}), file: this.file } };
    this.fault = typed;
    this.lastError = typed;
    this.healthy = false;
    if (!this.recovering) {
      this.recovering = this.recover().finally(() => {
        this.recovering = null;
      });
      void this.recovering.catch(() => undefined);
    }
  }

  /** Sets the bad file aside (kept, never deleted), reopens a new one and rebuilds it; retried with backoff. */
  private async recover(): Promise<void> {
    let delay = this.retryBaseMs;
    while (!this.stopped) {
      try {
        if (this.catchingUp) await this.catchingUp.catch(() => undefined);
        // A copy as found, before the writer's close checkpoints into it; then the old files go and a new one opens.
        const keptAs = keepCopy(this.file);
        await this.client.call('close', {}).catch(() => undefined);
        for (const ext of ['', '-wal', '-shm']) rmSync(`${this.file}${ext}`, { force: true });
        const cause = this.fault;
        await this.client.call('open', {});
        this.identity = identityOf(this.file);
        if (cause) {
          this.lastError = {
            ...cause,
            message: `${cause.message}; ${keptAs ? `kept as ${basename(keptAs)}, ` : ''}rebuilt from the journal`,
            details: { ...(cause.details ?? {}), ...(keptAs && { keptAs }) },
          };
        }
        this.forceRebuild = true;
        await this.catchUp();
        this.fault = null;
        return;
      } catch (err) {
        const wire = toWire(err);
        this.lastError = wire;
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }

  /** Ready for live ops: healthy and not replaying. */
  get current(): boolean {
    return this.healthy && this.catchingUp === null && this.fault === null;
  }

  /**
   * Applies a live op (already sliced for this store). A store that is behind does not get it: the journal has it,
   * and catch-up applies it in order; the outcome says `deferred`.
   */
  async apply(op: StoreOp, traceStart: number): Promise<{ outcome: StoreOutcome; span: Span }> {
    const rows = op.kind === 'upsert' ? Math.max(op.items.length, op.nodes.length) : op.nodeIds.length;
    if (!this.current) {
      const error: WireError = this.lastError ?? {
        code: 'STORE_WRITE_FAILED',
        message: `${this.name}.db is catching up`,
      };
      this.startCatchUp();
      return {
        outcome: { store: this.name, status: 'deferred', rows: 0, error },
        span: skippedSpan(this.name, traceStart, this.client.threadId, rows, 'deferred', error),
      };
    }
    op.prevSeq = this.lastPosted;
    this.lastPosted = op.seq;
    try {
      const { result, timing } = await this.client.call('apply', { op }, transferOf(op));
      this.applied = Math.max(this.applied, result.appliedSeq);
      this.rowsSinceCheckpoint += result.rows;
      return {
        outcome: { store: this.name, status: 'ok', rows: result.rows },
        span: storeSpan(this.name, traceStart, timing, result.rows, 'ok'),
      };
    } catch (err) {
      const wire = toWire(err);
      const status = this.healthy ? 'failed' : 'deferred';
      this.markFailed(wire);
      this.faulted(wire);
      return {
        outcome: { store: this.name, status, rows: 0, error: wire },
        span: skippedSpan(this.name, traceStart, this.client.threadId, rows, status, wire),
      };
    }
  }

  /** An op that is not for this store still moves it past that seq, so its next op's prevSeq lines up. */
  follow(seq: number): void {
    if (this.current && this.lastPosted < seq) void this.apply(emptyOp(seq), nowMs());
  }

  private markFailed(error: WireError): void {
    if (this.healthy) this.failures++;
    this.healthy = false;
    // An out-of-order refusal is a consequence of an earlier failure: keep the cause as the store's error.
    if ((error.details as { reason?: string } | undefined)?.reason !== 'out_of_order') this.lastError = error;
    this.scheduleRetry(error.code === 'WORKER_FAILED' ? 0 : this.retryDelay);
  }

  private onWorkerRestart(): void {
    this.healthy = false;
    this.lastError = { code: 'WORKER_FAILED', message: `${this.name} worker died and was restarted` };
    this.scheduleRetry(0);
  }

  private scheduleRetry(delay: number): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.startCatchUp();
    }, delay);
    this.retryTimer.unref();
  }

  private startCatchUp(): void {
    // While the file is being set aside and rebuilt, the recovery runs the catch-up itself.
    if (this.stopped || this.catchingUp || this.recovering) return;
    void this.catchUp().catch(() => undefined);
  }

  /** Replays, in order, every journaled op the store has not applied; healthy again once it reaches the journal's end. */
  catchUp(): Promise<void> {
    if (this.catchingUp) return this.catchingUp;
    const run = async (): Promise<void> => {
      if (this.forceRebuild) {
        this.forceRebuild = false;
        await this.rebuild();
      }
      for (;;) {
        if (this.applied >= this.journal.seq()) {
          this.lastPosted = this.applied;
          this.healthy = true;
          this.retryDelay = this.retryBaseMs;
          return;
        }
        const ops = await this.journal.readOps(this.applied, CATCH_UP_ROWS);
        if (ops.length === 0 || (ops[0]?.seq ?? 0) > this.applied + 1) {
          // The ops it needs were pruned (a store file replaced or recreated): only a full rebuild can restore it.
          await this.rebuild();
          continue;
        }
        for (const jop of ops) await this.applyReplayed(jop);
      }
    };
    this.catchingUp = run()
      .catch((err: unknown) => {
        this.lastError = toWire(err);
        this.healthy = false;
        this.retryDelay = Math.min(this.retryDelay * 2, MAX_RETRY_MS);
        this.scheduleRetry(this.retryDelay);
        throw err;
      })
      .finally(() => {
        this.catchingUp = null;
      });
    return this.catchingUp;
  }

  private async applyReplayed(jop: JournalOp): Promise<void> {
    const op: StoreOp = jop.stores.includes(this.name) ? sliceOp(this.name, jop.op) : emptyOp(jop.seq);
    op.prevSeq = this.applied;
    const { result } = await this.client.call('apply', { op }, transferOf(op));
    this.applied = Math.max(this.applied, result.appliedSeq);
    this.lastPosted = this.applied;
    this.rowsSinceCheckpoint += result.rows;
  }

  /**
   * Rebuilds the store from the journal's current contents: empties it, loads the journal in pages, marks it as
   * having applied the journal's seq at the start, then (in catch-up) replays whatever was written meanwhile.
   */
  private async rebuild(): Promise<void> {
    const upTo = this.journal.seq();
    this.rebuilding = true;
    try {
      await this.rebuildFrom(upTo);
    } finally {
      this.rebuilding = false;
    }
  }

  private async rebuildFrom(upTo: number): Promise<void> {
    await this.client.call('reset', {});
    this.applied = 0;
    let cursor: SnapshotCursor | null = null;
    do {
      const page: SnapshotPage = await this.journal.readSnapshot(cursor, CATCH_UP_ROWS);
      const op = sliceOp(this.name, page.op);
      await this.client.call('load', { op }, transferOf(op));
      cursor = page.next;
    } while (cursor);
    await this.client.call('setApplied', { seq: upTo });
    this.applied = upTo;
    this.lastPosted = upTo;
    this.rebuilds++;
  }

  /** Empties the store and rebuilds it from the journal; `cause`, when given, is kept as the store's last error. */
  async rebuildNow(cause?: WireError): Promise<void> {
    if (cause) this.lastError = cause;
    if (this.catchingUp) await this.catchingUp.catch(() => undefined);
    this.forceRebuild = true;
    await this.catchUp();
  }

  /** Retries now instead of waiting for the backoff. Resolves when the attempt ends, either way. */
  async retryNow(): Promise<void> {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    if (!this.healthy || this.applied < this.journal.seq()) await this.catchUp().catch(() => undefined);
  }

  /** Resolves once the current catch-up (if any) ends; rejects with its error. */
  settled(): Promise<void> {
    return this.catchingUp ?? Promise.resolve();
  }

  /** Under sustained load there is no idle moment: checkpoint once the WAL has taken many rows. */
  checkpointIfLarge(): void {
    if (this.rowsSinceCheckpoint >= this.checkpointRows && this.healthy) {
      this.rowsSinceCheckpoint = 0;
      void this.client.call('checkpoint', {}).catch(() => undefined);
    }
  }

  async checkpoint(): Promise<void> {
    this.rowsSinceCheckpoint = 0;
    await this.client.call('checkpoint', {});
  }

  /** After a delete the store has applied: no WAL frame and no free page keeps the deleted rows. */
  async compact(): Promise<void> {
    if (!this.current) return;
    this.rowsSinceCheckpoint = 0;
    await this.client.call('compact', {});
  }

  status(journalSeq: number): StoreStatus {
    this.look();
    return {
      store: this.name,
      appliedSeq: this.applied,
      healthy: this.current,
      pendingOps: Math.max(0, journalSeq - this.applied),
      failures: this.failures,
      lastError: this.lastError,
      workerRestarts: this.client.restarts,
      rebuilds: this.rebuilds,
      file: this.file,
      readable: this.fault === null && !this.rebuilding,
    };
  }

  /** No more retries; in-flight work may still finish. */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  async close(): Promise<void> {
    this.stop();
    await this.client.close();
  }
}
