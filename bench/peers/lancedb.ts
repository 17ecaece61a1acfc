/**
 * LanceDB (embedded, Lance files in a folder): the first batch creates the table, later batches are appended
 * (each append is a new version on disk); `finish` compacts the fragments and builds the full-text index. Vector
 * search is LanceDB's exhaustive scan with cosine distance (no ANN index, so recall is exact by construction; an
 * IVF index would trade recall for speed); hybrid is LanceDB's vector + full-text search fused by its RRF reranker.
 */
import * as lancedb from '@lancedb/lancedb';
import { dirBytes } from './disk';
import type { CorpusBatch, PeerSystem } from './types';

export function createLanceDb(): PeerSystem {
  let db: lancedb.Connection;
  let table: lancedb.Table | null = null;
  let rrf: lancedb.rerankers.RRFReranker;
  let dir = '';
  let dim = 0;

  const rows = (b: CorpusBatch) =>
    b.ids.map((id, i) => ({ id, text: b.texts[i] as string, vector: b.vectors.subarray(i * dim, (i + 1) * dim) }));
  const ids = (rs: Record<string, unknown>[]): string[] => rs.map((r) => r.id as string);
  const tbl = (): lancedb.Table => {
    if (!table) throw new Error('no table: nothing ingested');
    return table;
  };

  return {
    name: 'lancedb',
    notes: [
      '@lancedb/lancedb 0.31.0 embedded; one table add() per 500-item batch; finish = optimize() (compaction) + FTS index on text (Index.fts() defaults)',
      'vector search: exhaustive scan, cosine (no ANN index); hybrid: nearestTo + fullTextSearch + RRFReranker (k=60)',
      `LANCE_CPU_THREADS=${process.env.LANCE_CPU_THREADS ?? '(unset)'}: its FTS index build hung at 100,000 items on 2 cores without it`,
    ],
    async open(d, dimension) {
      dir = d;
      dim = dimension;
      db = await lancedb.connect(dir);
      rrf = await lancedb.rerankers.RRFReranker.create(60);
    },
    async ingest(batch) {
      if (!table) table = await db.createTable('items', rows(batch));
      else await table.add(rows(batch));
    },
    async finish() {
      await tbl().optimize();
      await tbl().createIndex('text', { config: lancedb.Index.fts() });
    },
    vectorSearch: async (q, k) =>
      ids(await tbl().vectorSearch(q.vector).distanceType('cosine').select(['id']).limit(k).toArray()),
    keywordSearch: async (q, k) => ids(await tbl().query().fullTextSearch(q.text).select(['id']).limit(k).toArray()),
    hybridSearch: async (q, k) =>
      ids(
        await tbl()
          .query()
          .nearestTo(q.vector)
          .distanceType('cosine')
          .fullTextSearch(q.text)
          .rerank(rrf)
          .select(['id'])
          .limit(k)
          .toArray(),
      ),
    async close() {
      table?.close();
      db.close();
    },
    diskBytes: () => dirBytes(dir),
  };
}
