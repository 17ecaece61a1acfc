/** What the storage manager takes and gives: its options, a write batch, and the outcomes of a write or a delete. */
import type { Layer, StoreName, WriteMode, WriteTrace } from '../../../shared/types';
import type { DecisionRow, DeleteResult, MessageRow, SessionRow } from '../workers/protocol';
import type { StoreOutcome } from './store-lane';
import type { ItemInput } from './validate';
import type { BeforeStage } from './write-trace';

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
  /**
   * Every writer (the journal and each store) checkpoints its WAL after this many rows even if it is never idle,
   * so a long import keeps each WAL bounded instead of growing by the whole import (default 20,000).
   */
  checkpointRows?: number;
}

export interface WriteBatch {
  sessions?: SessionRow[];
  messages?: MessageRow[];
  items: ItemInput[];
  /** items.length × dim floats. The manager takes ownership: its buffer is transferred to the vector writer. */
  vectors: Float32Array;
  /** Sessions that must already exist (checked inside the journal transaction). */
  requireSessions?: string[];
  /** Every session in `sessions` is new (the bulk path): a stored one is refused, no per-message lookups. */
  newSessions?: boolean;
  /** Names the write in its trace (for example `m0.addMessages`). */
  kind?: string;
  /** M2 update decisions, journaled in the same transaction as the facts. */
  decisions?: DecisionRow[];
  /** The layer this write builds; its spans carry it. */
  layer?: Layer;
  /** Work the caller did for this write before handing it over (embedding, extraction), shown first in its trace. */
  before?: BeforeStage[];
  /** Plain remarks kept with the trace (for example which extractor ran, and why the LLM path fell back). */
  notes?: string[];
  /** This batch's own write mode (the profile's sequential round); the manager's `mode` is never flipped for it. */
  mode?: WriteMode;
}

export interface WriteResult {
  seq: number;
  rowids: number[];
  messageSeqs: number[];
  outcomes: Record<StoreName, StoreOutcome>;
  trace: WriteTrace;
}

export type DeleteOutcome = DeleteResult & { outcomes: Record<StoreName, StoreOutcome>; trace: WriteTrace };
