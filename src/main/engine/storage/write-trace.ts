/**
 * Write traces, assembled in one place: the spans of a write or a delete (validation, the journal, each store,
 * and the caller's own stages before the write), put on one time axis that starts at the earliest of them.
 * A trace holds timings, counts, ids of the write and error codes, never user text.
 */
import { randomUUID } from 'node:crypto';
import { StrataError, type WireError } from '../../../shared/errors';
import type { Layer, Span, StoreName, WriteMode, WriteTrace } from '../../../shared/types';
import type { CallTiming } from '../workers/client';
import { nowMs } from '../workers/protocol';

/** A stage the caller ran before handing the write over (embedding, extraction). */
export interface BeforeStage {
  stage: string;
  start: number;
  end: number;
  rows: number;
  threadId?: number;
}

export function callSpan(
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

export function storeSpan(
  store: StoreName,
  traceStart: number,
  t: CallTiming,
  rows: number,
  status: Span['status'],
): Span {
  return callSpan('store', store, traceStart, t, rows, status);
}

/** A store that did not run the op (it failed, or it is behind and will replay it). */
export function skippedSpan(
  store: StoreName,
  traceStart: number,
  threadId: number,
  rows: number,
  status: Span['status'],
  error: WireError,
): Span {
  return {
    stage: 'store',
    store,
    start: nowMs() - traceStart,
    durationMs: 0,
    rows,
    threadId,
    status,
    error: { code: error.code, message: error.message },
  };
}

export function toWire(err: unknown): WireError {
  return err instanceof StrataError ? err.toWire() : { code: 'INTERNAL', message: String(err) };
}

export interface TraceParts {
  kind: string;
  mode: WriteMode;
  /** Epoch ms at which the manager took the write; spans are relative to it. */
  startedAt: number;
  spans: Span[];
  rows: number;
  seq: number;
  before?: BeforeStage[];
  layer?: Layer;
  notes?: string[];
}

export function assembleTrace(p: TraceParts): WriteTrace {
  const before = p.before ?? [];
  // The caller's own stages began before the manager took the write: the trace starts with the first of them.
  const origin = Math.min(p.startedAt, ...before.map((b) => b.start));
  const shift = p.startedAt - origin;
  const spans: Span[] = [
    ...before.map(
      (b): Span => ({
        stage: b.stage,
        start: b.start - origin,
        durationMs: b.end - b.start,
        rows: b.rows,
        threadId: b.threadId ?? 0,
        status: 'ok',
      }),
    ),
    ...p.spans.map((sp) => ({ ...sp, start: sp.start + shift })),
  ].map((sp) => (p.layer ? { ...sp, layer: p.layer } : sp));
  return {
    id: randomUUID(),
    kind: p.kind,
    mode: p.mode,
    startedAt: origin,
    totalMs: nowMs() - origin,
    rows: p.rows,
    seq: p.seq,
    spans,
    ...(p.notes && p.notes.length > 0 && { notes: p.notes }),
  };
}

const TRACE_FLUSH = 256;

/**
 * Every trace goes out through here: to the listener at once, to core.db in batches (when idle, or once enough have
 * gathered), never inside a write's transaction. Flushes run one after another: a reader (listTraces) must not find
 * the list empty and read while an earlier flush still holds its traces uncommitted.
 */
export class TraceLog {
  private pending: WriteTrace[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly persist: (traces: WriteTrace[]) => Promise<void>,
    private readonly emit: (trace: WriteTrace) => void,
  ) {}

  record(trace: WriteTrace): void {
    this.pending.push(trace);
    this.emit(trace);
    if (this.pending.length >= TRACE_FLUSH) void this.flush().catch(() => undefined);
  }

  flush(): Promise<void> {
    const run = this.chain.then(() => this.flushNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async flushNow(): Promise<void> {
    if (this.pending.length === 0) return;
    const traces = this.pending;
    this.pending = [];
    try {
      await this.persist(traces);
    } catch (err) {
      this.pending = traces.concat(this.pending);
      throw err;
    }
  }
}
