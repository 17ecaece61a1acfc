/** Messages between the vector writer and the IVF trainer it starts (a worker thread of its own). */

export interface AnnTrainInit {
  role: 'ann-train';
  file: string;
  layer: string;
  dim: number;
  mode: 'train' | 'check';
  /** For `check`: the generation to check. */
  gen?: number;
  nlist: number;
  sample: number;
  iterations: number;
  seed: number;
  checkQueries: number;
  targetRecall: number;
  busyTimeoutMs: number;
  /**
   * One Int32 the writer sets to 1 to stop the trainer. The trainer reads it between k-means iterations, every few
   * hundred rows of a scan and between batches, then closes its connection and lets its thread end by itself:
   * `worker.terminate()` while V8 compiles in the background can abort the whole process on Node 20.
   */
  cancel: SharedArrayBuffer;
}

export interface PackedCell {
  list: number;
  rowids: Float64Array;
  vectors: Float32Array;
}

export interface RecallCheck {
  nprobe: number;
  recall: number;
  queries: number;
  /** Recall@10 at each nprobe tried, for the status and the benchmark. */
  curve: { nprobe: number; recall: number }[];
}

export type TrainerMessage =
  | { type: 'centroids'; centroids: Float32Array; nlist: number; rows: number; trainMs: number }
  | { type: 'cells'; gen: number; cells: PackedCell[] }
  | { type: 'built'; gen: number; rows: number; trainMs: number }
  | { type: 'checked'; gen: number; check: RecallCheck }
  | { type: 'failed'; message: string };

export type WriterMessage =
  | { type: 'registered'; gen: number }
  | { type: 'ack' }
  | { type: 'check'; gen: number }
  /** Wakes a trainer waiting for one of the messages above; the shared flag says why. */
  | { type: 'cancel' };

/** Rows per packed cell: a 512-d cell is 256 KiB, sixteen 16 KiB pages read in one go. */
export const CELL_ROWS = 128;
