/**
 * What every layer builder is given: the storage manager (journal first, then the stores), the embedder, the
 * extractor, where M1's NLP runs, and the stop check. Plus the few helpers the builders share.
 */
import type { Item } from '../../../shared/types';
import type { Embedder, EmbedOptions } from '../embed/embedder';
import type { Extractor } from '../extract/types';
import type { StorageManager } from '../storage/manager';
import type { ItemInput } from '../storage/validate';
import type { DescribeInput, EpisodeDraft, SegmentInput } from './m1';

/** M1's CPU-heavy steps: on the embedding workers when the engine has a pool, else in this thread (see queue.ts). */
export interface EpisodeWork {
  segment(input: SegmentInput): Promise<number[][]>;
  describe(input: DescribeInput): Promise<EpisodeDraft[]>;
}

export interface LayerDeps {
  storage: StorageManager;
  embedder: Embedder;
  extractor: Extractor;
  episodes: EpisodeWork;
  /** Throws `Stopped` once the queue is stopping: called between a build's writes. */
  checkpoint(): void;
}

/** Thrown inside a build when the queue is stopping (engine close): not a failure, the rest is built on next open. */
export class Stopped extends Error {
  constructor() {
    super('layer building stopped');
  }
}

/** Layer building yields the embedders to writes waiting on M0. */
export const BACKGROUND: EmbedOptions = { priority: 'background' };

/** An item as written, in the shape it is read back. */
export function asItem(i: ItemInput): Item {
  return {
    id: i.id,
    layer: i.layer,
    kind: i.kind,
    sessionId: i.sessionId,
    text: i.text,
    data: i.data ?? null,
    validFrom: i.validFrom ?? null,
    validTo: i.validTo ?? null,
    sources: i.sources,
    links: i.links ?? [],
  };
}
