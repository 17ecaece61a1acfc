/**
 * Re-embedding a data directory: every item's new vector staged beside the old ones, page by page (each page with the
 * progress, in one transaction), then committed in one transaction, the vector store rebuilt from the journal and the
 * new embedder recorded. Until the commit the items keep the old embedder's vectors, so a re-embed cancelled or
 * interrupted before it is dropped by opening the directory with the old embedder: no pass back. After the commit
 * it can only be finished (opened with the new embedder, from the start: pages already done are done again).
 */
import type { ItemPage } from '../../../shared/types';

export interface ReembedTarget {
  listItems(offset: number, limit: number): Promise<ItemPage>;
  /** Stages a page of new vectors with the progress reached (the directory records both in one transaction). */
  setVectors(ids: string[], vectors: Float32Array, done: number, total: number): Promise<void>;
  /** Every staged vector replaces its item's, in one transaction. */
  commitVectors(): Promise<void>;
  rebuildVectors(): Promise<void>;
  setEmbedder(id: string): Promise<void>;
}

const PAGE = 256;

export async function reembedAll(
  target: ReembedTarget,
  embed: (texts: string[]) => Promise<Float32Array>,
  embedderId: string,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  let done = 0;
  for (let offset = 0; ; offset += PAGE) {
    const { items, total } = await target.listItems(offset, PAGE);
    if (items.length > 0) {
      const vectors = await embed(items.map((i) => i.text));
      done += items.length;
      await target.setVectors(
        items.map((i) => i.id),
        vectors,
        done,
        total,
      );
    }
    onProgress?.(done, total);
    if (items.length < PAGE) break;
  }
  await target.commitVectors();
  await target.rebuildVectors();
  await target.setEmbedder(embedderId);
}
