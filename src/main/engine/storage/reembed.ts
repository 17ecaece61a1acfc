/**
 * Re-embedding a data directory: every item's vector replaced with another embedder's, page by page, then the
 * vector store rebuilt from the journal and the new embedder recorded. Each page's vectors and the progress are
 * recorded in one transaction, so a directory opened after an interruption knows it holds a mix: it can only be
 * opened to finish the re-embed (from the start: pages already done are simply done again).
 */
import type { ItemPage } from '../../../shared/types';

export interface ReembedTarget {
  listItems(offset: number, limit: number): Promise<ItemPage>;
  /** Stores a page of new vectors with the progress reached (the directory records both in one transaction). */
  setVectors(ids: string[], vectors: Float32Array, done: number, total: number): Promise<void>;
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
  await target.rebuildVectors();
  await target.setEmbedder(embedderId);
}
