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

export type WriterMessage = { type: 'registered'; gen: number } | { type: 'ack' } | { type: 'check'; gen: number };

/** Rows per packed cell: a 512-d cell is 256 KiB, sixteen 16 KiB pages read in one go. */
export const CELL_ROWS = 128;
