/**
 * What every store shares: the `applied_seq` it keeps in its own file (updated in
 * the same transaction as its data), the order check on incoming ops, and the
 * handler table built around a store's own `write` and `reset`.
 */
import { StrataError } from '../../../shared/errors';
import type { Handlers, StoreMethods, StoreOp } from '../workers/protocol';
import { compact, type DB, truncateWal, walPages } from './sqlite';

export interface StoreBody {
  /** Applies the op's rows (idempotent upserts and deletes); returns how many rows changed. */
  write(op: StoreOp): number;
  /** Removes every row, ahead of a rebuild from the journal. */
  reset(): void;
}

/** An op that does not follow the last one applied: an earlier op failed, so this store must catch up from the journal. */
export function outOfOrder(file: string, op: StoreOp, applied: number): StrataError {
  return new StrataError(
    'STORE_WRITE_FAILED',
    `${file}: op ${op.seq} follows op ${op.prevSeq} but the store has applied up to ${applied}; catching up from the journal`,
    { file, reason: 'out_of_order', seq: op.seq, prevSeq: op.prevSeq, applied },
  );
}

export function storeHandlers(db: DB, file: string, body: StoreBody): Handlers<StoreMethods> {
  const getSeq = db.prepare<[], { value: string }>("SELECT value FROM store_meta WHERE key = 'applied_seq'");
  const putSeq = db.prepare<[string]>("UPDATE store_meta SET value = ? WHERE key = 'applied_seq'");
  const applied = (): number => Number(getSeq.get()?.value ?? 0);

  const apply = db.transaction((op: StoreOp) => {
    const current = applied();
    if (op.seq <= current) return { appliedSeq: current, rows: 0, skipped: true };
    if (op.prevSeq !== current) throw outOfOrder(file, op, current);
    const rows = body.write(op);
    putSeq.run(String(op.seq));
    return { appliedSeq: op.seq, rows, skipped: false };
  });
  const reset = db.transaction(() => {
    body.reset();
    putSeq.run('0');
  });
  const load = db.transaction((op: StoreOp) => body.write(op));
  const setApplied = db.transaction((seq: number) => putSeq.run(String(seq)));

  return {
    open: () => ({ appliedSeq: applied() }),
    apply: ({ op }) => apply.immediate(op),
    reset: () => {
      reset.immediate();
      return { appliedSeq: 0 };
    },
    load: ({ op }) => ({ rows: load.immediate(op) }),
    setApplied: ({ seq }) => {
      setApplied.immediate(seq);
      return { appliedSeq: seq };
    },
    checkpoint: () => ({ walPages: walPages(db) }),
    compact: () => compact(db),
    close: () => {
      // Fold the WAL back into the file and truncate it, so a closed data directory is its true size on disk.
      try {
        truncateWal(db);
      } finally {
        // A damaged file may refuse the checkpoint; its connection is closed all the same.
        db.close();
      }
      return { closed: true };
    },
  };
}
