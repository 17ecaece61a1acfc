/**
 * Support for the IVF index tests: seeded clustered unit vectors (real embeddings are clustered, not isotropic), and
 * vector.db opened as the vector writer opens it, with a read-only connection beside it when a test searches.
 */
import { join } from 'node:path';
import { FILES, MIGRATIONS, PAGE_SIZE } from '../../src/main/engine/storage/migrations';
import { type DB, migrate, openDatabase } from '../../src/main/engine/storage/sqlite';
import { openVectorStore, type VectorStore } from '../../src/main/engine/storage/vector.store';
import { rng } from '../../src/shared/rng';

/** The dimension the IVF kill test's child writes. */
export const ANN_CHILD_DIM = 32;

/** `n` unit vectors around `clusters` random centres; the same seed always draws the same centres first. */
export function clusteredVectors(n: number, dim: number, clusters: number, seed: number): Float32Array {
  const next = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  const centres = new Float32Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = gauss();
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(next() * clusters);
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const x = (centres[c * dim + d] as number) + 0.6 * gauss();
      out[i * dim + d] = x;
      norm += x * x;
    }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dim; d++) out[i * dim + d] = (out[i * dim + d] as number) / norm;
  }
  return out;
}

/** The store worker bundle, which also carries the IVF trainer. */
export const STORE_WORKER_ENTRY = new URL('../../out/workers/store.worker.mjs', import.meta.url);

type AnnOptions = NonNullable<NonNullable<Parameters<typeof openVectorStore>[2]>['ann']>;

/** vector.db in `dir`, migrated and opened as the vector writer opens it, with the IVF index's `ann` options. */
export function openAnnWriter(
  dir: string,
  dim: number,
  ann: Omit<AnnOptions, 'trainerEntry'>,
): { file: string; db: DB; store: VectorStore } {
  const file = join(dir, FILES.vector);
  const db = openDatabase(file, {
    readonly: false,
    busyTimeoutMs: 5000,
    pageSize: PAGE_SIZE.vector,
    loadVec: true,
    synchronous: 'NORMAL',
  });
  migrate(db, file, MIGRATIONS.vector, { dim });
  const store = openVectorStore(db, dim, { file, ann: { ...ann, trainerEntry: STORE_WORKER_ENTRY } });
  return { file, db, store };
}

/** The writer above with a read-only connection beside it, as the search readers open the file. */
export function openAnnStore(
  dir: string,
  dim: number,
  ann: Omit<AnnOptions, 'trainerEntry'>,
): { file: string; db: DB; store: VectorStore; reader: DB } {
  const writer = openAnnWriter(dir, dim, ann);
  const reader = openDatabase(writer.file, {
    readonly: true,
    busyTimeoutMs: 5000,
    pageSize: 0,
    loadVec: true,
    synchronous: 'NORMAL',
  });
  return { ...writer, reader };
}
