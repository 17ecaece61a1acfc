/**
 * What every layer builder is given: the storage manager (journal first, then the stores), the embedder, the
 * extractor. Plus the few helpers the builders share.
 */
import type { Item } from '../../../shared/types';
import type { Embedder, EmbedOptions } from '../embed/embedder';
import type { Extractor } from '../extract/types';
import type { StorageManager } from '../storage/manager';
import type { ItemInput } from '../storage/validate';

export interface LayerDeps {
  storage: StorageManager;
  embedder: Embedder;
  extractor: Extractor;
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
