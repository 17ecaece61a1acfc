/** The `applied_seq` bookkeeping every store keeps in its own file, updated in the same transaction as the data. */
import { StrataError } from '../../../shared/errors';
import type { StoreOp } from '../workers/protocol';
import type { DB } from './sqlite';

export interface AppliedSeq {
  get(): number;
  set(seq: number): void;
}

export function appliedSeq(db: DB): AppliedSeq {
  const get = db.prepare<[], { value: string }>("SELECT value FROM store_meta WHERE key = 'applied_seq'");
  const set = db.prepare<[string]>("UPDATE store_meta SET value = ? WHERE key = 'applied_seq'");
  return {
    get: () => Number(get.get()?.value ?? 0),
    set: (seq) => {
      set.run(String(seq));
    },
  };
}

/** An op that does not follow the last one applied: an earlier op failed, so this store must catch up from the journal. */
export function outOfOrder(file: string, op: StoreOp, applied: number): StrataError {
  return new StrataError(
    'STORE_WRITE_FAILED',
    `${file}: op ${op.seq} follows op ${op.prevSeq} but the store has applied up to ${applied}; catching up from the journal`,
    { file, reason: 'out_of_order', seq: op.seq, prevSeq: op.prevSeq, applied },
  );
}
