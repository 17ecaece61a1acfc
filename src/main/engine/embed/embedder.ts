/** The embedder contract, and the names of the built-in embedders. */

export interface EmbedOptions {
  /** `foreground` (the default) is served first: a write waits on it. `background` is layer building. */
  priority?: 'foreground' | 'background';
}

export interface Embedder {
  /** Recorded in the data directory: vectors from different embedders are never mixed. */
  readonly id: string;
  readonly dim: number;
  /** One row-major Float32Array of texts.length × dim, every row unit-length. */
  embed(texts: readonly string[], opts?: EmbedOptions): Promise<Float32Array>;
  close?(): Promise<void>;
}

/**
 * `static` (the default): a word model distilled from USE-lite, 512 dims, embedded in the calling thread.
 * `use-lite`: Universal Sentence Encoder lite, shipped inside npm, 512 dims, on worker threads.
 * `hashing`: instant, spelling only.
 */
export type EmbedderKind = 'static' | 'use-lite' | 'hashing';
export const EMBEDDER_KINDS: readonly EmbedderKind[] = ['static', 'use-lite', 'hashing'];

export type { EmbedderStatus } from '../../../shared/types';
