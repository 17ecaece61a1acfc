/**
 * vectra: a LocalIndex (every item and vector in one index.json, loaded whole into memory). The whole ingest is one
 * update (beginUpdate, insertItem per item, endUpdate in `finish`), because each endUpdate rewrites the entire file:
 * saving per batch would be quadratic. vectra has no keyword-only search; its hybrid (`queryItems(..., isBm25)`)
 * adds BM25 matches from the documents' text files, so each item's text is written as `<documentId>.txt` beside the
 * index, the layout vectra's LocalDocumentIndex uses (whose own upsertDocument saves the whole index per document).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalIndex } from 'vectra';
import { dirBytes } from './disk';
import type { PeerSystem } from './types';

export function createVectra(): PeerSystem {
  let index: LocalIndex;
  let dir = '';
  let dim = 0;
  const docId = (id: string): string => id.replace(/[^A-Za-z0-9_-]/g, '_');

  return {
    name: 'vectra',
    notes: [
      'vectra 0.11.1 LocalIndex; one beginUpdate/endUpdate around the whole ingest (each endUpdate rewrites index.json whole)',
      'vector: queryItems (exhaustive cosine); hybrid: queryItems with isBm25 (top k by vector plus top k by BM25, which it rebuilds over every item on each query); no keyword-only search',
    ],
    async open(d, dimension) {
      dir = d;
      dim = dimension;
      index = new LocalIndex(dir);
      await index.createIndex({ version: 1 });
      await index.beginUpdate();
    },
    async ingest(b) {
      for (let i = 0; i < b.ids.length; i++) {
        const id = b.ids[i] as string;
        const text = b.texts[i] as string;
        await writeFile(join(dir, `${docId(id)}.txt`), text);
        await index.insertItem({
          id,
          vector: Array.from(b.vectors.subarray(i * dim, (i + 1) * dim)),
          metadata: { documentId: docId(id), startPos: 0, endPos: text.length - 1 },
        });
      }
    },
    async finish() {
      await index.endUpdate();
    },
    vectorSearch: async (q, k) => (await index.queryItems(Array.from(q.vector), q.text, k)).map((r) => r.item.id),
    keywordSearch: null,
    hybridSearch: async (q, k) =>
      (await index.queryItems(Array.from(q.vector), q.text, k, undefined, true)).map((r) => r.item.id),
    async close() {
      // Nothing open: the index is a file read whole.
    },
    diskBytes: () => dirBytes(dir),
  };
}
