/**
 * Orama: an in-memory index (full-text, with its BM25, and a flat vector index). Items go in through
 * `insertMultiple` per batch; Orama has no store of its own, so `finish` persists the index the way its core
 * supports it: `save()` (its raw data) written to one file, serialised with v8.serialize (JSON cannot hold 100,000
 * 512-dim vectors in one string). Vector search is exhaustive cosine with the similarity floor at 0.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { create, insertMultiple, type Orama, save, search } from '@orama/orama';
import { dirBytes } from './disk';
import type { PeerSystem } from './types';

type Schema = { id: 'string'; text: 'string'; embedding: `vector[${number}]` };

export function createOrama(): PeerSystem {
  let db: Orama<Schema>;
  let dir = '';
  let dim = 0;
  const ids = (res: { hits: { document: { id: string } }[] }): string[] => res.hits.map((h) => h.document.id);

  return {
    name: 'orama',
    notes: [
      '@orama/orama 3.1.18, in memory; insertMultiple per 500-item batch; finish = save() + v8.serialize to one file (persistence is a snapshot, not per write)',
      'vector: mode vector, similarity 0 (its default floor of 0.8 returns nothing for these vectors); keyword: its BM25 full-text search; hybrid: mode hybrid (its default weights)',
    ],
    async open(d, dimension) {
      dir = d;
      dim = dimension;
      db = create({ schema: { id: 'string', text: 'string', embedding: `vector[${dim}]` } as Schema });
    },
    async ingest(b) {
      const docs = b.ids.map((id, i) => ({
        id,
        text: b.texts[i] as string,
        // Orama validates vectors as plain arrays.
        embedding: Array.from(b.vectors.subarray(i * dim, (i + 1) * dim)),
      }));
      await insertMultiple(db, docs, docs.length);
    },
    async finish() {
      await writeFile(join(dir, 'orama.v8'), serialize(save(db)));
    },
    vectorSearch: async (q, k) =>
      ids(
        (await search(db, {
          mode: 'vector',
          vector: { value: Array.from(q.vector), property: 'embedding' },
          similarity: 0,
          limit: k,
          includeVectors: false,
        })) as never,
      ),
    keywordSearch: async (q, k) => ids((await search(db, { term: q.text, properties: ['text'], limit: k })) as never),
    hybridSearch: async (q, k) =>
      ids(
        (await search(db, {
          mode: 'hybrid',
          term: q.text,
          properties: ['text'],
          vector: { value: Array.from(q.vector), property: 'embedding' },
          similarity: 0,
          limit: k,
          includeVectors: false,
        })) as never,
      ),
    async close() {
      // Nothing open: the index lives in this process's memory.
    },
    diskBytes: () => dirBytes(dir),
  };
}
